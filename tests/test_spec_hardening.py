"""Hostile and careless user specs: each is a SpecError naming the file, the row and the rule.

A user's own spec (``flopsheet show my_model.toml``) is untrusted input: no construct
may crash the loader with another exception, recurse without bound, or build a
workbook that is broken.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flopsheet import SpecError
from flopsheet.workbooks.model import spec as spec_module
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx.templates import compile_workbook

BASE = 'name = "model"\ntitle_en = "t"\ntitle_zh = "t"\n[citation]\nseed = "s"\ntable = "t"\npage = "p"\n'
INPUT = '[[input]]\nname = "a"\nlabel_en = "a"\nlabel_zh = "a"\nvalue = 2\nunit = "token"\n'


def _row(expr: str, unit: str = "token", name: str = "total", extra: str = "") -> str:
    return f'[[row]]\nname = "{name}"\nlabel_en = "x"\nlabel_zh = "x"\nexpr = {expr!r}\nunit = "{unit}"\n{extra}'


def _chain(length: int) -> str:
    """Rows listed so that each reads the next one: resolving them needs depth ``length``."""
    return "".join(_row(f"row_{index + 1}" if index < length - 1 else "a", name=f"row_{index}")
                   for index in range(length))


CASES = [
    ("huge exponent", BASE + INPUT + _row("10**10**10", ""), ["row 'total'", "exponent", "too large"]),
    ("constant exponent", BASE + INPUT + _row("a * 10**400"), ["exponent 400 is too large"]),
    ("division by zero", BASE + INPUT + _row("a / 0"), ["row 'total'", "cannot be computed"]),
    ("overflow", BASE + INPUT + _row("a * 1e308 * 1e308"), ["row 'total'", "finite"]),
    ("900-term sum", BASE + INPUT + _row("+".join(["a"] * 900)), ["nested too deeply"]),
    ("900 parentheses", BASE + INPUT + _row("-" * 900 + "a"), ["nested too deeply"]),
    ("3000-term sum", BASE + INPUT + _row("+".join(["a"] * 3000)), ["at most 2,000 are allowed"]),
    ("long expression", BASE + INPUT + _row("a" + " " * 5000), ["at most 2,000"]),
    ("deep TOML", BASE + INPUT + _row("a") + "x = " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"]),
    ("input is a number", BASE.replace("title_en", "input = 5\ntitle_en") + _row("a"), ["'input' must be a list"]),
    ("note is a number", BASE + INPUT + "note = 5\n" + _row("a"), ["row 'a'", "'note' must be text"]),
    ("audit is a number", BASE.replace("title_en", "audit = 5\ntitle_en") + INPUT + _row("a"), ["'audit' must be"]),
    ("format is a number", BASE + INPUT + _row("a", extra="format = 5\n"), ["'format' must be text"]),
    ("quote in a unit", BASE + INPUT.replace('"token"', '"tok\\"en"') + _row("a"), ["may not contain"]),
    ("printed infinity", BASE + INPUT + 'printed = "1e400"\n' + _row("a"), ['expected a finite number, got "1e400"']),
    ("300-character name", BASE + INPUT + _row("a", name="t" * 300), ["at most 247 characters"]),
    ("attribute access", BASE + INPUT + _row("a.__class__"), ["attribute access is not allowed"]),
    ("a call outside the table", BASE + INPUT + _row("open('x')"), ["unknown function open()"]),
    ("a cycle", BASE + INPUT + _row("bb", name="cc") + _row("cc", name="bb"), ["cycle"]),
    ("a case setting a row", BASE + INPUT + _row("a") + '[[case]]\nlabel = "x"\nset = { total = 1 }\nrow = "total"\n',
     ["which are not inputs"]),
    ("order is text", BASE.replace("title_en", 'order = "first"\ntitle_en') + INPUT + _row("a"), ["'order'"]),
]


@pytest.fixture()
def write_spec(tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "model.toml"
        path.write_text(text, encoding="utf-8")
        spec_module._load_cached.cache_clear()
        return path
    return write


@pytest.mark.parametrize("label, text, fragments", CASES, ids=[case[0] for case in CASES])
def test_a_bad_spec_is_a_spec_error_naming_the_file(write_spec, label: str, text: str, fragments: list[str]) -> None:
    path = write_spec(text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith("model.toml"), message
    for fragment in fragments:
        assert fragment in message, (label, message)


def test_a_long_chain_in_reverse_order_resolves_without_recursion(write_spec, tmp_path: Path) -> None:
    spec = load_spec(write_spec(BASE + INPUT + _chain(3000)))
    assert [row.name for row in spec.order][:2] == ["row_2999", "row_2998"]
    assert float(evaluate(spec).set_index("name").loc["row_0", "value"]) == 2.0


def test_a_user_spec_builds_a_template(write_spec, tmp_path: Path) -> None:
    spec = load_spec(write_spec(BASE + INPUT + _row("a * 3")))
    assert compile_workbook(spec, tmp_path / "model.xlsx").stat().st_size > 0
