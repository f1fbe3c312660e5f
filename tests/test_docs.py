"""The documentation site stays true: it builds strictly, its examples run, its reference is current.

- ``mkdocs build --strict`` (a broken link or anchor, a page left out of the nav, a
  reference entry mkdocstrings cannot find all fail it);
- every ```python block of every page (and of README.md) is a doctest, run page by page in
  one namespace, the Chinese quick start included;
- the generated pages (``docs/gen_reference.py``) equal what the generator writes now, and
  the function reference has every function of the formula table;
- the gallery has a picture of every template; the README stays a front page.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from addin_support import office_call, server  # noqa: F401 (server is a fixture)

from flopsheet.formulas import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
#: The README is a front page, not a manual.
README_MAX_CHARACTERS = 12_000
#: ```python blocks (the info string may carry more words).
PYTHON_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
#: Pages with examples: every Markdown page of the site, and the README.
PAGES = sorted(DOCS.rglob("*.md")) + [README]
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def python_blocks(path: Path) -> list[str]:
    """The ```python blocks of a Markdown file."""
    return PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))


# --- examples -------------------------------------------------------------------------


def test_the_pages_have_examples_to_run() -> None:
    with_examples = {path.relative_to(ROOT).as_posix() for path in PAGES if python_blocks(path)}
    for page in ("README.md", "docs/index.md", "docs/getting-started.md", "docs/zh/quickstart.md",
                 "docs/guides/units.md", "docs/guides/training.md", "docs/guides/serving.md"):
        assert page in with_examples, page


@pytest.mark.parametrize("path", [path for path in PAGES if python_blocks(path)],
                         ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_python_example_runs(path: Path, server) -> None:
    # ``server``: xlwings' Office.js engine registered with a licence key, as a reader's
    # fresh interpreter has it after the page's own os.environ line
    blocks = python_blocks(path)
    for number, block in enumerate(blocks, start=1):
        assert ">>> " in block, f"{path.name}: python block {number} has no >>> example to run (use ```text)"
    parser = doctest.DocTestParser()
    name = path.relative_to(ROOT).as_posix()
    test = parser.get_doctest("\n".join(blocks), {"__name__": "__docs__"}, name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples fail (output above)"


def test_the_chinese_quick_start_runs_the_same_examples() -> None:
    english = "\n".join(python_blocks(DOCS / "getting-started.md"))
    chinese = "\n".join(python_blocks(DOCS / "zh" / "quickstart.md"))
    calls = re.compile(r"flopsheet\.\w+\(")
    assert set(calls.findall(english)) <= set(calls.findall(chinese))


# --- generated reference ---------------------------------------------------------------


def test_generated_pages_are_current() -> None:
    stale = _generator().stale_pages()
    assert not stale, f"stale generated pages {stale}: run python docs/gen_reference.py"


def test_every_function_of_the_table_is_in_the_reference() -> None:
    page = (DOCS / "reference" / "functions.md").read_text(encoding="utf-8")
    for formula in FUNCTIONS:
        assert f"\n## {formula.name}\n" in page, formula.name
        assert f"::: flopsheet.{formula.name}\n" in page, formula.name
        assert f"`{formula.excel_name}`" in page, formula.name


def test_the_function_table_is_generated_from_the_table() -> None:
    from flopsheet.formulas.table import markdown_table

    page = (DOCS / "reference" / "functions.md").read_text(encoding="utf-8")
    assert markdown_table() in page, "the function table is stale: run python docs/gen_reference.py"


def test_a_function_missing_from_the_sources_stops_the_generator(monkeypatch) -> None:
    generator = _generator()
    sources = generator.function_sources()
    sources.pop(FUNCTIONS[0].name)
    monkeypatch.setattr(generator, "function_sources", lambda: sources)
    with pytest.raises(SystemExit, match=FUNCTIONS[0].name):
        generator.functions_page()


def test_the_cli_reference_has_every_command_and_option() -> None:
    import argparse

    generator = _generator()
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = generator.build_parser()
    sub = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert f"\n## {name}\n" in page, name
        section = page.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}`" in section, (name, option)


def test_the_catalogue_reference_has_every_record_with_its_source() -> None:
    import tomllib

    generator = _generator()
    page = (DOCS / "reference" / "catalogues.md").read_text(encoding="utf-8")
    for file_name, key, *_ in generator.CATALOGUES:
        records = tomllib.loads(generator.data_file(file_name).read_text(encoding="utf-8"))[key]
        for record in records:
            assert generator.cell(record["source"]) in page, (file_name, record.get("name", record.get("model")))


# --- gallery and README -----------------------------------------------------------------


def test_the_gallery_has_every_template() -> None:
    gallery = (DOCS / "gallery.md").read_text(encoding="utf-8")
    templates = sorted(path.stem for path in (ROOT / "workbooks" / "templates").glob("*.xlsx")
                       if not path.stem.endswith("_addin"))
    assert templates
    for name in templates:
        assert (DOCS / "gallery" / f"{name}.png").is_file(), f"run python docs/render_gallery.py {name}"
        assert f"(gallery/{name}.png)" in gallery, name


def test_the_readme_is_a_front_page_that_links_into_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) < README_MAX_CHARACTERS, len(text)
    assert "bash setup.sh" in text and "bash test.sh" in text
    links = re.findall(r"\]\((docs/[^)#\s]+)", text)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link


# --- the site ---------------------------------------------------------------------------


class _Text(HTMLParser):
    """The visible text of a page's article (no scripts, no navigation)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        self.depth += tag == "article"
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "article"
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and not self.skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    """The article's text without any whitespace (highlighting splits code into many spans)."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join("".join(parser.parts).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mkdocs or mkdocstrings is missing under CI=true: pip install -e '.[docs]'")
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    target = tmp_path_factory.mktemp("site")
    # as in a fresh clone: the hook must lay out its source tree before mkdocstrings reads it
    shutil.rmtree(ROOT / "build" / "docs-src", ignore_errors=True)
    completed = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
                               cwd=ROOT, capture_output=True, text=True, check=False,
                               env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert completed.returncode == 0, completed.stderr[-5000:]
    return target


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in ("getting-started", "zh/quickstart", "guides/units", "guides/training", "guides/serving",
                 "guides/uncertainty", "guides/templates", "guides/addin", "guides/catalogues", "guides/audit",
                 "guides/security", "guides/benchmarks", "contributing", "gallery", "truth",
                 "reference/functions", "reference/cli", "reference/catalogues"):
        assert (site / page / "index.html").is_file(), page


def test_the_function_reference_renders_every_docstring(site: Path) -> None:
    text = page_text(site / "reference" / "functions" / "index.html")
    for formula in FUNCTIONS:
        assert formula.excel_name in text, formula.name
        first_line = "".join((formula.function.__doc__ or "").strip().splitlines()[0].split())
        # mkdocstrings renders the docstring's summary (code spans lose their backticks)
        assert first_line.replace("``", "") in text, (formula.name, first_line)


def test_no_sphinx_role_is_printed_in_the_rendered_reference(site: Path) -> None:
    """Docstrings say :func:`x`; the page shows the name, never the role's text."""
    html = (site / "reference" / "functions" / "index.html").read_text(encoding="utf-8")
    for role in (":func:", ":class:", ":data:", ":mod:", ":meth:"):
        assert role + "<code>" not in html, role


def test_the_chinese_page_renders_in_chinese(site: Path) -> None:
    text = page_text(site / "zh" / "quickstart" / "index.html")
    assert "快速上手" in text and "13,793card" in text and "研报" in text


# --- command-line examples --------------------------------------------------------------

#: A fenced block (any language) whose first line is a flopsheet command.
CONSOLE_BLOCK = re.compile(r"^```[a-z]*\n(\$ flopsheet .*?)^```", re.M | re.S)


def console_examples() -> list[tuple[str, str, str]]:
    """(page, command, shown output) of every ``$ flopsheet ...`` example; ``...`` elides lines."""
    examples = []
    for path in PAGES:
        for block in CONSOLE_BLOCK.findall(path.read_text(encoding="utf-8")):
            for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
                if chunk.strip():
                    command, _, shown = chunk.partition("\n")
                    examples.append((path.relative_to(ROOT).as_posix(), command[2:], shown))
    return examples


@pytest.mark.parametrize("page, command, shown", console_examples(), ids=lambda value: value[:60])
def test_every_command_line_example_prints_what_it_shows(page: str, command: str, shown: str) -> None:
    import shlex

    arguments = shlex.split(command)
    assert arguments[0] == "flopsheet"
    completed = subprocess.run([sys.executable, "-m", "flopsheet", *arguments[1:]], capture_output=True,
                               text=True, check=False, cwd=ROOT)
    printed = "\n".join(line.rstrip() for line in (completed.stdout + completed.stderr).splitlines()) + "\n"
    expected = "\n".join(line.rstrip() for line in shown.splitlines()).strip("\n") + "\n"
    checker = doctest.OutputChecker()
    assert checker.check_output(expected, printed, doctest.ELLIPSIS), (
        f"{page}: `{command}` printed\n{printed}\ninstead of\n{expected}")


#: Folders of this repository that the prose names files in.
REPOSITORY_FOLDERS = ("addin", "bench", "docs", "flopsheet", "formulas", "tests", "units", "workbooks")
REPOSITORY_PATH = re.compile(r"`((?:%s)/[\w./-]+\.(?:py|toml|txt|md|xlsx|mjs|png))`" % "|".join(REPOSITORY_FOLDERS))


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_file_the_prose_names_exists(path: Path) -> None:
    named = REPOSITORY_PATH.findall(path.read_text(encoding="utf-8"))
    missing = sorted({name for name in named if not (ROOT / name).exists()})
    assert not missing, f"{path.relative_to(ROOT)} names files that do not exist (moved?): {missing}"


# --- Excel examples ---------------------------------------------------------------------

#: An Excel example in a text block: the formula, then the value it shows (same line or next).
EXCEL_EXAMPLE = re.compile(r"^(=[A-Z_]+\(.*\))\s*\n?\s*([\d,]+\.?\d*)", re.M)
TEXT_BLOCK = re.compile(r"^```text\n(.*?)^```", re.M | re.S)
EXCEL_TOKEN = re.compile(r'\s*(?:(?P<name>[A-Z_]+)\(|(?P<text>"[^"]*")|(?P<number>[\d.]+)|(?P<comma>,)|(?P<close>\)))')


def excel_examples() -> list[tuple[str, str, str]]:
    """(page, formula, shown value) of every Excel example in a text block."""
    found = []
    for path in PAGES:
        for block in TEXT_BLOCK.findall(path.read_text(encoding="utf-8")):
            found += [(path.relative_to(ROOT).as_posix(), formula, shown)
                      for formula, shown in EXCEL_EXAMPLE.findall(block)]
    return found


def evaluate_excel(formula: str, call) -> object:
    """Evaluate a formula of nested calls over text and number constants (the examples' subset).

    ``call(name, *values)`` is one add-in call the way Excel makes it; nothing is eval'd.
    """
    tokens = [match for match in EXCEL_TOKEN.finditer(formula[1:])]
    assert "".join(match.group(0) for match in tokens).strip() == formula[1:].strip(), f"outside the subset: {formula}"
    position = 0

    def value() -> object:
        nonlocal position
        token = tokens[position]
        position += 1
        if token.group("text"):
            return token.group("text")[1:-1]
        if token.group("number"):
            return float(token.group("number"))
        assert token.group("name"), formula
        arguments = []
        while not tokens[position].group("close"):
            arguments.append(value())
            if tokens[position].group("comma"):
                position += 1
        position += 1
        return call(token.group("name"), *arguments)

    return value()


def test_the_pages_have_excel_examples() -> None:
    pages = {page for page, _, _ in excel_examples()}
    assert {"README.md", "docs/getting-started.md", "docs/zh/quickstart.md"} <= pages


@pytest.mark.parametrize("page, formula, shown", excel_examples(), ids=lambda value: value[:50])
def test_every_excel_example_gives_what_it_shows(page: str, formula: str, shown: str, server) -> None:
    def call(name: str, *arguments: object) -> object:
        (row,) = office_call(server, name, *arguments)
        return row[0]

    result = evaluate_excel(formula, call)
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    assert isinstance(result, float), (page, formula, result)
    assert round(result, decimals) == float(shown.replace(",", "")), (page, formula, result)


def test_an_announced_guide_joins_the_nav_when_its_page_exists(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(hooks)
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "serving-planner.md").write_text("# Serving planner\n", encoding="utf-8")
    nav = [{"Home": "index.md"}, {"Guides": [{"Units": "guides/units.md"}]}]
    assert hooks.add_announced_guides(nav, tmp_path) == ["guides/serving-planner.md"]
    assert nav[1]["Guides"][-1] == {"Serving planner": "guides/serving-planner.md"}
    assert hooks.add_announced_guides(nav, tmp_path) == []  # once


#: A dotted flopsheet name in backticks (`flopsheet.workbooks.model.spec`, `flopsheet.Q`).
DOTTED_NAME = re.compile(r"`(flopsheet(?:\.[A-Za-z_]\w*)+)")


def resolve(name: str) -> object:
    """Import the longest module prefix of a dotted name, then get the rest as attributes."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(name)


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_flopsheet_name_the_prose_gives_exists(path: Path, server) -> None:
    missing = []
    for name in sorted(set(DOTTED_NAME.findall(path.read_text(encoding="utf-8")))):
        try:
            resolve(name)
        except (AttributeError, ModuleNotFoundError):
            missing.append(name)
    assert not missing, f"{path.relative_to(ROOT)} names what flopsheet does not have (renamed? moved?): {missing}"
