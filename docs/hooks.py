"""MkDocs hooks of the flopsheet site (``hooks:`` in mkdocs.yml).

flopsheet is one distribution whose subpackages live in top-level folders
(``formulas/`` is ``flopsheet.formulas``: setuptools ``package-dir``). mkdocstrings reads
source files by their import path, so before the build this hook lays out a tree of
symbolic links in ``build/docs-src/`` where ``flopsheet/formulas`` points at
``formulas/`` (read from pyproject.toml, so it follows any move), and mkdocstrings is told
to search there (``paths`` in mkdocs.yml).

Guide pages that other work adds (the planners, the cluster economics, hardening) join the
Guides section of the nav by themselves when their file exists (:data:`ANNOUNCED_GUIDES`),
so a branch that adds one builds strictly before mkdocs.yml names it.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Where the import-path tree of symbolic links is laid out (build/ is ignored by git).
SOURCE_TREE = ROOT / "build" / "docs-src"


#: A Sphinx cross-reference role left in a rendered docstring (":func:<code>x</code>"):
#: mkdocstrings renders the role's text literally; the hook keeps only the code span.
SPHINX_ROLE = re.compile(r":(?:func|class|data|mod|meth|attr|obj|exc|const):(?=<code>)")


def on_page_content(html: str, **_: Any) -> str:
    """Drop the Sphinx role prefixes (":func:") that docstrings carry before their code spans."""
    return SPHINX_ROLE.sub("", html)


#: Guide pages announced by open issues: file (under docs/) -> nav title, in nav order.
ANNOUNCED_GUIDES = {
    "guides/training-planner.md": "Training planner",
    "guides/serving-planner.md": "Serving planner",
    "guides/cluster.md": "Cluster economics",
    "guides/hardening.md": "Hardening",
}
#: The nav section they join.
GUIDES_SECTION = "Guides"


def _nav_files(nav: Any) -> set[str]:
    """Every file named anywhere in a nav structure."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return set().union(*(_nav_files(value) for value in nav.values())) if nav else set()
    if isinstance(nav, list):
        return set().union(*(_nav_files(item) for item in nav)) if nav else set()
    return set()


def add_announced_guides(nav: list[Any], docs_dir: Path) -> list[str]:
    """Add each announced guide that exists and is not in the nav to its Guides section; return them."""
    present = _nav_files(nav)
    section = next(item[GUIDES_SECTION] for item in nav if isinstance(item, dict) and GUIDES_SECTION in item)
    added = []
    for name, title in ANNOUNCED_GUIDES.items():
        if (docs_dir / name).is_file() and name not in present:
            section.append({title: name})
            added.append(name)
    return added


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Each package of pyproject.toml's ``package-dir`` with its folder on disk."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = project["tool"]["setuptools"]["package-dir"]
    return {name: (root / folder).resolve() for name, folder in mapping.items()}


def lay_out_source_tree(root: Path = ROOT, target: Path = SOURCE_TREE) -> Path:
    """Lay out ``target`` as the import tree of the package-dir mapping; return it."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, folder in sorted(package_dirs(root).items(), key=lambda item: item[0].count(".")):
        place = target.joinpath(*name.split("."))
        if "." not in name:  # the root package: a copy (griffe follows a linked file to its own folder)
            shutil.copytree(folder, place, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            if place.is_symlink() or place.exists():
                raise RuntimeError(f"{name}: {place} exists twice in the package-dir mapping")
            os.symlink(folder, place)
    return target


def on_startup(**_: Any) -> None:
    """Lay out the source tree before any plugin's on_config: mkdocstrings reads its ``paths``
    there, and a path missing at that moment is dropped (a fresh clone then failed to resolve
    every ``flopsheet.formulas`` name; a second build passed on the first build's tree)."""
    lay_out_source_tree()


def on_config(config: Any) -> Any:
    """Complete the nav with the announced guides that exist."""
    if config["nav"]:
        add_announced_guides(config["nav"], Path(config["docs_dir"]))
    return config
