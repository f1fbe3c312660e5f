// Run the xlwings Lite bundle inside real Pyodide under Node.js, offline.
//
// Usage: node tests/pyodide_lite.mjs CONFIG.json   (tests/pyodide_lite.py writes CONFIG and reads the
// JSON this writes to CONFIG.output; Pyodide's own messages go to stderr).
//
// CONFIG: {pyodide_dir, package_cache_dir, files_url, wheels: [{project, filename, path, sha256}],
//          preinstall: [filename], requirements: [line], main_py, probe_py, calls, env, canary, output}
//
// Steps, as xlwings Lite takes them: boot Pyodide, load micropip, install the requirement lines with
// micropip and its default index (so packages listed in pyodide-lock.json come from the lock first),
// import main.py, call the functions through xlwings.server (tests/pyodide_lite_probe.py).
// Every network request goes through a replaced globalThis.fetch: micropip's default index is
// answered from disk as a PEP 691 JSON index of the wheels in CONFIG (a project not among them gets
// 404 and is recorded in "not_found"), the wheels are served at files_url, and any other URL is
// refused (the request fails) and recorded in "refused". Last, a canary shows the refusal is in force:
// micropip installs CONFIG.canary, a lock package that is not on disk, so Pyodide asks its CDN;
// that request must be refused ("canary.refused") and the package must stay absent.

import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf-8"));
const PEP691 = "application/vnd.pypi.simple.v1+json";
const requests = { served: [], not_found: [], refused: [] };
let indexBase = null; // micropip's default index, read from micropip once it is loaded

function indexPage(project) {
  const files = config.wheels.filter((wheel) => wheel.project === project).map((wheel) => ({
    filename: wheel.filename,
    url: config.files_url + wheel.filename,
    hashes: { sha256: wheel.sha256 },
  }));
  return { meta: { "api-version": "1.0" }, name: project, files };
}

async function offlineFetch(resource) {
  const url = typeof resource === "string" ? resource : resource.url ?? String(resource);
  const wheel = config.wheels.find((candidate) => config.files_url + candidate.filename === url);
  if (wheel) {
    requests.served.push(url);
    return new Response(readFileSync(wheel.path), { headers: { "content-type": "application/octet-stream" } });
  }
  if (indexBase !== null && url.startsWith(indexBase)) {
    const project = url.slice(indexBase.length).replace(/^\/+|\/+$/g, "").replace(/[-_.]+/g, "-").toLowerCase();
    const page = indexPage(project); // PEP 503 names, as tests/pyodide_lite.py spells them
    if (page.files.length) {
      requests.served.push(url);
      return new Response(JSON.stringify(page), { headers: { "content-type": PEP691 } });
    }
    requests.not_found.push(url);
    return new Response("not in the offline index", { status: 404 });
  }
  requests.refused.push(url);
  throw new TypeError(`offline run: refused ${url}`);
}

// Replace fetch before Pyodide's module is loaded, so no part of it holds the real one.
globalThis.fetch = offlineFetch;

const INDEX_BASE = "import micropip.package_index as index; index.DEFAULT_INDEX_URLS[0]";

const INSTALL = `
import json, micropip
for filename in json.loads(PREINSTALL):
    await micropip.install(FILES_URL + filename)
await micropip.install(json.loads(REQUIREMENTS))
`;

const PROBE = `
import json, sys
sys.path[:0] = ["/home/pyodide/lite", "/home/pyodide/probe"]
import pyodide_lite_probe
json.dumps(await pyodide_lite_probe.run(json.loads(CALLS)))
`;

const CANARY = `
import importlib.util, micropip
try:
    await micropip.install(CANARY_PACKAGE)
except Exception as error:
    print(f"canary: {error}")
importlib.util.find_spec(CANARY_PACKAGE) is not None
`;

const VERSIONS = `
import json, sys, importlib.metadata as metadata
json.dumps({"python": sys.version.split()[0], "platform": sys.platform,
            "packages": {d.metadata["Name"].lower(): d.version for d in metadata.distributions()}})
`;

const seconds = {};
async function timed(step, work) {
  const started = performance.now();
  const result = await work();
  seconds[step] = (performance.now() - started) / 1000;
  return result;
}

const log = (message) => process.stderr.write(`${message}\n`);
let output;
try {
  const { loadPyodide } = await import(pathToFileURL(`${config.pyodide_dir}/pyodide.mjs`).href);
  const pyodide = await timed("boot", () => loadPyodide({
    indexURL: `${config.pyodide_dir}/`,
    packageCacheDir: config.package_cache_dir,
    env: { HOME: "/home/pyodide", ...config.env },
    stdout: log,
    stderr: log,
  }));
  await timed("load_micropip", () => pyodide.loadPackage("micropip", { messageCallback: log, errorCallback: log }));
  indexBase = pyodide.runPython(INDEX_BASE);
  pyodide.globals.set("FILES_URL", config.files_url);
  pyodide.globals.set("PREINSTALL", JSON.stringify(config.preinstall));
  pyodide.globals.set("REQUIREMENTS", JSON.stringify(config.requirements));
  await timed("install", () => pyodide.runPythonAsync(INSTALL));
  pyodide.FS.mkdirTree("/home/pyodide/lite");
  pyodide.FS.mkdirTree("/home/pyodide/probe");
  pyodide.FS.writeFile("/home/pyodide/lite/main.py", readFileSync(config.main_py));
  pyodide.FS.writeFile("/home/pyodide/probe/pyodide_lite_probe.py", readFileSync(config.probe_py));
  pyodide.globals.set("CALLS", JSON.stringify(config.calls));
  const probe = JSON.parse(await timed("probe", () => pyodide.runPythonAsync(PROBE)));
  const versions = JSON.parse(pyodide.runPython(VERSIONS));
  const before = requests.refused.length;
  pyodide.globals.set("CANARY_PACKAGE", config.canary);
  const installed = await pyodide.runPythonAsync(CANARY);
  const canary = { package: config.canary, installed, refused: requests.refused.splice(before) };
  output = { ok: true, pyodide: pyodide.version, ...versions, seconds, probe, canary };
} catch (error) {
  output = { ok: false, error: String(error?.stack ?? error), seconds };
}
writeFileSync(config.output, JSON.stringify({ ...output, requests }));
process.exit(0);
