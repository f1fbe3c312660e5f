"""Issue 22, "the analyst's first hour": slips a new analyst makes, each held here so it stays fixed."""

from __future__ import annotations

import warnings

import pytest

import flopsheet
from flopsheet.units import AssumptionWarning, UnitInputError, UnknownNameError
from flopsheet.formulas import args


def test_a_bare_count_under_1000_parameters_warns_and_says_what_was_read() -> None:
    with pytest.warns(AssumptionWarning, match=r'params: read 70 as 70 parameters, under 1,000; .*did you mean "70B"'):
        flops = flopsheet.train_flops(70, "15T")
    assert flops.to("FLOP").m == pytest.approx(6 * 70 * 15e12)          # read as written, and said so
    with pytest.warns(AssumptionWarning, match="under 1,000"):
        flopsheet.train_memory(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        flopsheet.train_flops(70e9, "15T")
        flopsheet.train_flops("70B", "15T")


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("70b", args.PARAMETERS, 70e9), ("15t", args.TOKENS, 15e12), ("7m", args.PARAMETERS, 7e6),
    ("70B", args.PARAMETERS, 70e9), ("15T", args.TOKENS, 15e12),
])
def test_lowercase_magnitude_letters_where_a_count_is_expected(text: str, kind: args.ArgKind, expected: float) -> None:
    assert args.quantity_arg(text, "x", kind).to(kind.unit).m == pytest.approx(expected)


@pytest.mark.parametrize(("text", "kind"), [("3m", args.DURATION), ("5b", args.CARDS), ("15t tokens", args.TOKENS)])
def test_lowercase_letters_stay_errors_where_they_are_units(text: str, kind: args.ArgKind) -> None:
    """"3m" for a duration must not become 3 million days; before a unit a lowercase letter is a unit."""
    with pytest.raises(UnitInputError):
        args.quantity_arg(text, "x", kind)


def test_train_flops_accepts_lowercase_counts() -> None:
    assert flopsheet.train_flops("70b", "15t") == flopsheet.train_flops("70B", "15T")


@pytest.mark.parametrize(("call", "suggestion"), [
    (lambda: flopsheet.card_peak("H10", "bf16"), '"H100"'),
    (lambda: flopsheet.train_cards(1e24, "H10 bf16", 0.4, 90), '"H100"'),
    (lambda: flopsheet.model_shape("Lama 2 70B"), '"Llama 2 70B"'),
    (lambda: flopsheet.train_flops("Lama 2 70B", 1e12), '"Llama 2 70B"'),
    (lambda: flopsheet.train_memory("Lama-2-70B"), '"Llama 2 70B"'),
    (lambda: flopsheet.mfu("Megatron-Turing NGL"), '"Megatron-Turing NLG"'),
])
def test_misspelt_card_and_model_names_get_a_did_you_mean(call, suggestion: str) -> None:
    with pytest.raises(UnknownNameError) as raised:
        call()
    assert "did you mean " + suggestion in str(raised.value)


# -- simulate: a user's spec file, percentiles, warnings that still apply ------------------------------------------

import contextlib
import io
import json
import shutil
from pathlib import Path

from flopsheet.__main__ import main
from flopsheet.workbooks.model.spec import SPEC_DIR


def _user_spec(folder: Path) -> Path:
    """Table 6's spec saved as the user's own my_model.toml (its name must equal the file's)."""
    text = (SPEC_DIR / "table6_kimi_inference.toml").read_text(encoding="utf-8")
    path = folder / "my_model.toml"
    path.write_text(text.replace('name = "table6_kimi_inference"', 'name = "my_model"', 1), encoding="utf-8")
    return path


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_simulate_takes_a_user_spec_file_like_show_report_sweep_and_audit(tmp_path: Path) -> None:
    spec = _user_spec(tmp_path)
    for command in (["show", str(spec)], ["simulate", str(spec), "-n", "2000"],
                    ["simulate", str(spec), "-n", "2000", "-o", str(tmp_path / "my.xlsx")],
                    ["simulate", str(spec), "-n", "2000", "-o", str(tmp_path / "my.json")]):
        status, out, err = _run(*command)
        assert status == 0, (command, err)
    assert (tmp_path / "my.xlsx").stat().st_size > 0
    assert json.loads((tmp_path / "my.json").read_text())["model"]
    python = flopsheet.simulate(spec, 2000)
    assert python.model == "my_model" and python.model_spec.name == "my_model"


def test_percentiles_in_python_and_on_the_command_line(tmp_path: Path) -> None:
    result = flopsheet.simulate("table6_kimi_inference", 5000, percentiles=[10, 50, 90])
    cards = result.percentiles.loc["cards"]
    assert list(result.percentiles.columns[4:]) == ["p10", "p50", "p90", "mean"]
    samples = result.samples["cards"].to_numpy()
    import numpy as np
    assert cards.p10 == pytest.approx(np.percentile(samples, 10)) and cards.p90 == pytest.approx(np.percentile(samples, 90))
    status, out, _ = _run("simulate", "table6_kimi_inference", "-n", "2000", "--percentiles", "10,50,90")
    assert status == 0 and "p10" in out and "p90" in out and "p95" not in out
    status, _, _ = _run("simulate", "table6_kimi_inference", "-n", "2000", "--percentiles", "2.5,97.5",
                        "-o", str(tmp_path / "p.json"))
    rows = json.loads((tmp_path / "p.json").read_text())["rows"]
    assert status == 0 and set(rows[-1]["percentiles"]) == {"p2.5", "p97.5", "mean"}
    status, _, err = _run("simulate", "table6_kimi_inference", "--percentiles", "50,150")
    assert status == 2 and "percentiles: must be numbers from 0 to 100" in err


def test_the_base_utilization_warning_goes_once_utilization_is_a_range() -> None:
    fixed = flopsheet.simulate("table5_kimi_training", 1000, duration="90..120 days")
    assert any("utilization 30.2% was measured against A100 bf16" in text for text in fixed.warnings)
    ranged = flopsheet.simulate("table5_kimi_training", 1000, utilization="25%..40%")
    assert not any("utilization" in text for text in ranged.warnings)
    status, out, _ = _run("simulate", "table5_kimi_training", "-n", "1000", "--range", "utilization=25%..40%")
    assert status == 0 and "warning: cards: utilization" not in out


# -- one spelling per thing across the faces ------------------------------------------------------------------------

def test_mfu_40_suggests_40_percent() -> None:
    status, _, err = _run("train", "--params", "70B", "--tokens", "15T", "--card", "H100 bf16", "--mfu", "40",
                          "--days", "60")
    assert status == 2 and 'did you mean "40%" (0.4)?' in err
    with pytest.raises(flopsheet.InputRangeError, match='did you mean "30.2%"'):
        flopsheet.train_cards(5.9e24, "A100 bf16", 30.2, 90)


def test_serve_and_train_take_a_shape_name_and_list_the_shapes_when_misspelt() -> None:
    serve = ["--tokens-per-call", "1500", "--calls-per-day", "100万", "--card", "H100 bf16", "--mfu", "50%",
             "--busy-hours", "12"]
    status, out, err = _run("serve", "--params", "Llama-3-70B", *serve)
    assert status == 0, err
    assert "capacity" in out
    status, _, err = _run("serve", "--params", "Mistral-7B", *serve)
    assert status == 2 and 'unknown model shape "Mistral-7B"' in err and "Llama 2 70B" in err
    status, _, err = _run("serve", "--params", "Lama-2-70B", *serve)
    assert status == 2 and 'did you mean "Llama 2 70B"' in err
    status, out, err = _run("train", "--params", "Llama-3-70B", "--tokens", "15T", "--card", "H100 bf16",
                            "--mfu", "40%", "--days", "60")
    assert status == 0 and out.startswith("Training 70.55B parameters"), err
    status, out, _ = _run("train", "--params", "70b", "--tokens", "15t", "--card", "H100 bf16", "--mfu", "40%",
                          "--days", "60")
    assert status == 0 and out.startswith("Training 70B parameters on 15T tokens")


def test_kv_cache_memory_shape_form_positionally_as_its_error_recommends() -> None:
    shape = flopsheet.model_shape("Llama 2 70B")
    positional = flopsheet.kv_cache_memory(shape, 4096, 1, "fp16")
    keywords = flopsheet.kv_cache_memory(shape, 4096, batch=1, precision="fp16")
    assert positional == keywords
    # 2 x 80 layers x 8 KV heads x 128 x 4096 tokens x 2 bytes = 1.342 GB
    assert positional.to("B").m == pytest.approx(2 * 80 * 8 * 128 * 4096 * 2)
    assert flopsheet.kv_cache_memory("Llama 2 70B", 4096, 8).to("B").m == pytest.approx(8 * positional.to("B").m)
    with pytest.raises(flopsheet.InputError, match="batch: expected the batch once"):
        flopsheet.kv_cache_memory(shape, 4096, 2, batch=3)


def test_weights_memory_takes_a_shape_or_a_name() -> None:
    shape = flopsheet.model_shape("Llama 2 70B")
    assert flopsheet.weights_memory(shape, "bf16") == flopsheet.weights_memory(shape.params, "bf16")
    assert flopsheet.weights_memory("Llama 2 70B", "bf16").to("GB").m == pytest.approx(2 * 68_976_648_192 / 1e9)
    moe = flopsheet.model_shape("Mixtral 8x7B")     # every expert is held: the total count
    assert flopsheet.weights_memory(moe, "bf16").to("GB").m == pytest.approx(2 * moe.params / 1e9)


# -- the terminal -----------------------------------------------------------------------------------------------------

from flopsheet.workbooks.outputs.text_table import display_width


@pytest.mark.parametrize("columns", [60, 80, 100, 160])
def test_list_fits_the_terminal_width(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    status, out, _ = _run("list")
    assert status == 0
    assert max(display_width(line) for line in out.splitlines()) <= columns
    assert "table5_kimi_training" in out and "训练算力测算" in out and "source: seed" in out


def test_float_noise_is_rounded_for_display() -> None:
    flops = flopsheet.train_flops("400B", "30T")
    assert str(flops) == "7.2×10²⁵ FLOP" and f"{flops}" == "7.2×10²⁵ FLOP"
    assert flops.m == pytest.approx(7.2e25, rel=1e-15) and repr(flops.m) == "7.1999999999999994e+25"
    # the value keeps every digit; only the display rounds to 12 significant digits
    status, out, _ = _run("show", "training_memory")
    assert status == 0 and "e-14" not in out and "e-1" not in out


def test_audit_with_nothing_to_report_says_so() -> None:
    status, out, _ = _run("audit", "table4_mfu")
    assert status == 0 and out.startswith("nothing to report") and "table4_mfu" in out
    status, out, _ = _run("audit", "table6_kimi_inference")
    assert status == 0 and "tokens_per_call = 2,000" in out


def test_the_guide_examples_run() -> None:
    """docs/guides/first-hour.md: its >>> examples are doctests."""
    import doctest

    guide = Path(__file__).resolve().parents[1] / "docs" / "guides" / "first-hour.md"
    result = doctest.testfile(str(guide), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0
