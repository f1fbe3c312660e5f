"""Render every template workbook to a PNG for the documentation's gallery.

Each template of ``workbooks/templates/`` (the native ones; the add-in variants need the
add-in to show numbers) goes through LibreOffice once (``soffice --headless --convert-to
pdf`` with a profile that recalculates on load, so the picture shows computed values),
then ``pdftoppm -png`` writes the first page (the Model sheet) to
``docs/gallery/<template>.png``; every other sheet that draws the model (a chart sheet, the
serving template's Plan and Plan chart: any sheet but Model, Units and README) also gets
``docs/gallery/<template>_<sheet>.png`` (``serving_chart.png``, ``serving_plan.png``...).
Then ``docs/gallery.md`` is written from the list.

Usage: ``python docs/render_gallery.py [TEMPLATE ...]`` (default: every template). Needs
LibreOffice and poppler-utils (``setup.sh`` installs both) and a Chinese font for the
labels (``apt-get install -y fonts-wqy-zenhei``; the script refuses to render without one,
as LibreOffice would print empty boxes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from flopsheet.workbooks.xlsx.recalc import convert

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "workbooks" / "templates"
GALLERY = ROOT / "docs" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"
#: Width of a rendered page in pixels (readable on the site, small in git).
WIDTH_PIXELS = 1100
#: Sheets every template has that need no picture of their own (page 1 is the Model sheet).
PLAIN_SHEETS = ("Model", "Units", "README")


def require_chinese_font() -> None:
    """Stop with the install command when fontconfig knows no font covering Chinese."""
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    if not listed.strip():
        raise SystemExit("render_gallery: no Chinese font (labels would print as boxes): "
                         "apt-get install -y fonts-wqy-zenhei")


def templates() -> list[Path]:
    """The native templates, in name order."""
    return sorted(path for path in TEMPLATES.glob("*.xlsx") if not path.stem.endswith("_addin"))


def extra_sheets(workbook: Path) -> dict[str, str]:
    """Each sheet beyond Model, Units and README, by file-name slug, with its heading (first text)."""
    book = openpyxl.load_workbook(workbook, read_only=True)
    sheets = {}
    for name in book.sheetnames:
        if name in PLAIN_SHEETS:
            continue
        heading = next((value.strip() for row in book[name].iter_rows(values_only=True) for value in row
                        if isinstance(value, str) and value.strip()), None)
        if heading is not None:
            sheets["_".join(name.lower().split())] = heading
    return sheets


def page_of(pdf: Path, text: str) -> int | None:
    """The first 1-based page of the PDF whose text contains ``text`` (pdftotext), or None."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    wanted = " ".join(text.split())
    return next((number for number, page in enumerate(pages, start=1) if wanted in " ".join(page.split())), None)


def render_page(pdf: Path, page: int, target: Path) -> None:
    """Write one PDF page as PNG at the gallery width."""
    with tempfile.TemporaryDirectory(prefix="flopsheet-gallery-") as folder:
        stem = Path(folder) / "page"
        subprocess.run(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                        "-scale-to-x", str(WIDTH_PIXELS), "-scale-to-y", "-1", str(pdf), str(stem)], check=True)
        shutil.move(str(stem.with_suffix(".png")), target)


def gallery_page(names: list[str]) -> str:
    """docs/gallery.md: every rendered template, with its chart where it has one."""
    lines = ["# Gallery", "",
             "Every template workbook as LibreOffice prints it after a full recalculation "
             "(`python docs/render_gallery.py` renders them: soffice to PDF, then pdftoppm). "
             "Blue-on-yellow cells are assumptions you type; each value has a unit cell with a "
             "dropdown; the printed and difference columns set the report's figures beside "
             "the recomputed ones. See [Templates](guides/templates.md).", ""]
    for name in names:
        lines += [f"## {name}", "", f"![{name} template](gallery/{name}.png)", ""]
        for extra in sorted(GALLERY.glob(f"{name}_*.png")):
            lines += [f"![{name}: {extra.stem[len(name) + 1:].replace('_', ' ')}](gallery/{extra.name})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="templates to render (default: all)")
    options = parser.parse_args(argv)
    chosen = [path for path in templates() if not options.names or path.stem in options.names]
    unknown = set(options.names) - {path.stem for path in chosen}
    if unknown:
        parser.error(f"unknown templates: {', '.join(sorted(unknown))}")
    require_chinese_font()
    GALLERY.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flopsheet-gallery-pdf-") as folder:
        pdfs = convert(chosen, Path(folder), target="pdf")  # one soffice start for all
        for workbook, pdf in zip(chosen, pdfs):
            render_page(pdf, 1, GALLERY / f"{workbook.stem}.png")
            for slug, heading in extra_sheets(workbook).items():
                page = page_of(pdf, heading)
                if page is None:
                    raise SystemExit(f"{workbook.name}: no page of its PDF shows the sheet heading {heading!r}")
                render_page(pdf, page, GALLERY / f"{workbook.stem}_{slug}.png")
            print(f"rendered docs/gallery/{workbook.stem}.png")
    PAGE.write_text(gallery_page([path.stem for path in templates()]) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
