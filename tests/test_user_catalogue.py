"""Issue 12: a catalogue users extend (load_catalogue, FLOPSHEET_CATALOGUE), checked like untrusted input."""

from __future__ import annotations

from pathlib import Path

import pytest

import flopsheet
from flopsheet.formulas.catalogues import cards
from flopsheet.formulas.training.utilization import mfu_runs
from catalogue_support import X1, clean_catalogue  # noqa: F401 (clean_catalogue is an autouse fixture)

#: The other fields of a valid record, for records that vary one thing.
REST = 'vendor = "V"\nvariant = "v"\nreleased = "2026-01"\nsource = "s"\nsource_date = "2026-01"\n'


def write(tmp_path: Path, text: str, name: str = "cards.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_catalogue_adds_a_card_every_formula_reads(tmp_path: Path) -> None:
    built_in = flopsheet.card_names()
    assert flopsheet.load_catalogue(write(tmp_path, X1)) == ["X1"]
    assert flopsheet.card_names() == built_in + ["X1"]
    assert flopsheet.card_peak("X1", "bf16").to("TFLOPS/card").m == 2000
    assert flopsheet.card_peak("x-1 MODULE", "fp8").to("TFLOPS/card").m == 4000
    assert flopsheet.card_memory("X1").to("GB/card").m == 192
    # the same reference as a peak argument: 1e24 FLOP / (2000 TFLOPS x 40% x 60 days)
    cards_needed = flopsheet.train_cards("1e24 FLOP", "X1 bf16", "40%", "60 days")
    assert cards_needed.to("card").m == pytest.approx(1e24 / (2000e12 * 0.4 * 60 * 86400))
    flopsheet.unload_catalogue()
    assert flopsheet.card_names() == built_in
    with pytest.raises(flopsheet.UnknownNameError, match='unknown accelerator "X1"'):
        flopsheet.card_peak("X1", "bf16")


def test_the_environment_variable_names_a_catalogue_for_every_face(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(cards.CATALOGUE_ENV, str(write(tmp_path, X1)))
    assert "X1" in flopsheet.card_names()
    assert flopsheet.card_peak("X1", "bf16").to("TFLOPS/card").m == 2000
    monkeypatch.delenv(cards.CATALOGUE_ENV)
    assert "X1" not in flopsheet.card_names()


def test_a_broken_environment_file_is_named_in_the_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(cards.CATALOGUE_ENV, str(write(tmp_path, "[[accelerator]]\nname = 'X1'\n")))
    with pytest.raises(flopsheet.InputError, match=r"catalogue \(FLOPSHEET_CATALOGUE\): \".*cards.toml\" is not .*missing 'vendor'"):
        flopsheet.card_peak("H100", "bf16")


def test_a_clash_with_a_built_in_name_or_alias_is_an_error(tmp_path: Path) -> None:
    before = flopsheet.card_names()
    for name, clash in (("H100", "H100"), ("h-100 sxm", "H100")):
        text = f'[[accelerator]]\nname = "{name}"\ndense = {{ bf16 = "1 TFLOPS" }}\n{REST}'
        with pytest.raises(flopsheet.InputError, match=f"clashes with '{clash}' of the built-in catalogue.*override = true"):
            flopsheet.load_catalogue(write(tmp_path, text))
    with pytest.raises(flopsheet.InputError, match="clashes with 'A100'"):
        flopsheet.load_catalogue(write(tmp_path, f'[[accelerator]]\nname = "Z9"\naliases = ["A100 SXM4"]\n'
                                                 f'dense = {{ bf16 = "1 TFLOPS" }}\n{REST}'))
    assert flopsheet.card_names() == before  # nothing was loaded


def test_override_replaces_a_built_in_record_until_unloaded(tmp_path: Path) -> None:
    text = f'[[accelerator]]\nname = "H100"\noverride = true\ndense = {{ bf16 = "1000 TFLOPS" }}\n{REST}'
    path = write(tmp_path, text)
    flopsheet.load_catalogue(path)
    assert flopsheet.card_peak("H100", "bf16").to("TFLOPS/card").m == 1000
    assert flopsheet.card_names().index("H100") == 4  # keeps its place in the listing
    assert flopsheet.catalogue()["H100"].origin == str(path)
    flopsheet.unload_catalogue(path)
    assert flopsheet.card_peak("H100", "bf16").to("TFLOPS/card").m == 989.5
    with pytest.raises(flopsheet.InputError, match="no card of that name to override"):
        flopsheet.load_catalogue(write(tmp_path, text.replace('"H100"', '"Q7"')))


def test_loading_the_same_file_again_replaces_its_records(tmp_path: Path) -> None:
    path = write(tmp_path, X1)
    flopsheet.load_catalogue(path)
    path.write_text(X1.replace("2000 TFLOPS", "2500 TFLOPS"), encoding="utf-8")
    flopsheet.load_catalogue(path)
    assert flopsheet.card_peak("X1", "bf16").to("TFLOPS/card").m == 2500


def test_caches_over_the_catalogue_are_dropped_when_it_changes(tmp_path: Path) -> None:
    assert mfu_runs()  # filled
    assert mfu_runs.cache_info().currsize == 1
    flopsheet.load_catalogue(write(tmp_path, X1))
    flopsheet.card_names()  # the first read of the new catalogue runs the hooks
    assert mfu_runs.cache_info().currsize == 0
    assert flopsheet.mfu("Megatron-Turing NLG").card == "A100"


#: (file text, what the error says): one malformed catalogue per line.
BAD_FILES = [
    ("[[accelerator]]\nname = 'X1'\n", "missing 'vendor'"),
    (f"[[accelerator]]\nname = 'X1'\n{REST}", "'dense' must be a table of precision"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = 2000 }}\n{REST}", 'must be a quantity text with its unit, e.g. "2000 TFLOPS"'),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = '2000 TB' }}\n{REST}", "dense.bf16 '2000 TB' is not in units like TFLOPS"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = '-5 TFLOPS' }}\n{REST}", "must be greater than 0"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf17 = '5 TFLOPS' }}\n{REST}", "dense.bf17: unknown precision"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = '5 TFLOPS' }}\nmemory = '80 W'\n{REST}", "memory '80 W' is not in units like GB"),
    (f"[[accelerator]]\nname = 'X1 bf16'\ndense = {{ bf16 = '5 TFLOPS' }}\n{REST}", "must not end with a precision"),
    (f"[[accelerator]]\nname = '7X'\ndense = {{ bf16 = '5 TFLOPS' }}\n{REST}", "must not start like a number"),
    (f"[[accelerator]]\nname = 'X1'\ncolour = 'red'\ndense = {{ bf16 = '5 TFLOPS' }}\n{REST}", "unknown key(s) colour"),
    (f"[[accelerator]]\nname = 'X1'\noverride = 'yes'\ndense = {{ bf16 = '5 TFLOPS' }}\n{REST}", "'override' must be true or false"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = '5 TFLOPS' }}\n{REST}".replace('source = "s"', 'source = ""'), "'source' must be a non-empty text"),
    (f"[[accelerator]]\nname = 'X1'\ndense = {{ bf16 = '5 TFLOPS' }}\nsources = {{ tdp = 'x' }}\n{REST}", "'sources' must map fields of this record"),
    ("[[accelerator]]\nname = 'X1'\n[other]\nx = 1\n", "[[accelerator]] tables and nothing else"),
    ("name = 'X1'\n", "[[accelerator]] tables and nothing else"),
    ("[[accelerator]\n", "not valid TOML"),
    ("a = " + "[" * 2000 + "]" * 2000 + "\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_malformed_catalogues_are_refused_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(flopsheet.InputError) as caught:
        flopsheet.load_catalogue(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f'catalogue: "{path}" is not a usable accelerator catalogue (TOML, ')
    assert isinstance(caught.value, flopsheet.CatalogueError)


def test_only_toml_files_of_bounded_size_are_read(tmp_path: Path) -> None:
    with pytest.raises(flopsheet.InputError, match="must be TOML and end in .toml"):
        flopsheet.load_catalogue(write(tmp_path, X1, "cards.py"))
    with pytest.raises(flopsheet.InputError, match="cannot read it"):
        flopsheet.load_catalogue(tmp_path / "missing.toml")
    huge = X1 + "# " + "x" * cards.MAX_CATALOGUE_BYTES + "\n"
    with pytest.raises(flopsheet.InputError, match="at most 262,144 bytes"):
        flopsheet.load_catalogue(write(tmp_path, huge))
    many = "".join(X1.replace('"X1"', f'"X{n}"').replace('["X-1 module"]', "[]") for n in range(cards.MAX_RECORDS + 1))
    with pytest.raises(flopsheet.InputError, match="at most 500 records"):
        flopsheet.load_catalogue(write(tmp_path, many))


def test_every_built_in_record_passes_the_user_file_checks() -> None:
    records = cards.read_catalogue_file(cards.CATALOGUE_FILE)
    assert [record.name for record, _ in records] == flopsheet.card_names()
    assert not any(override for _, override in records)


def test_cached_readings_of_a_reference_follow_an_override(tmp_path: Path) -> None:
    """The formulas cache the reading of "H100 bf16" per text: loading a file must drop it."""
    before = flopsheet.train_cards("1e24 FLOP", "H100 bf16", "40%", "60 days").m
    path = write(tmp_path, f'[[accelerator]]\nname = "H100"\noverride = true\ndense = {{ bf16 = "494.75 TFLOPS" }}\n{REST}')
    flopsheet.load_catalogue(path)
    assert flopsheet.train_cards("1e24 FLOP", "H100 bf16", "40%", "60 days").m == pytest.approx(2 * before)
    assert flopsheet.train_cards("1e24 FLOP", "H100 bf16", "40% @ H100 bf16", "60 days").m == pytest.approx(2 * before)
    flopsheet.unload_catalogue(path)
    assert flopsheet.train_cards("1e24 FLOP", "H100 bf16", "40%", "60 days").m == pytest.approx(before)
    flopsheet.load_catalogue(write(tmp_path, X1, "x1.toml"))
    assert flopsheet.train_cards("1e24 FLOP", "X1 bf16", "40%", "60 days").m > 0
    flopsheet.unload_catalogue()
    with pytest.raises(flopsheet.UnknownNameError):
        flopsheet.train_cards("1e24 FLOP", "X1 bf16", "40%", "60 days")
