"""The accelerator catalogue data file: coverage, sources, dense vs sparse."""

from __future__ import annotations

import tomllib

import pytest

import flopsheet
from flopsheet.formulas.catalogues.cards import CATALOGUE_FILE, PRECISIONS, catalogue

#: The cards issues 2 and 12 ask for by name (the catalogue may hold more).
REQUIRED_CARDS = ["A100", "A800", "H100", "H800", "H20", "H200", "B200", "A10", "L40S", "V100", "MI300X",
                  "TPU v4", "TPU v5e", "TPU v5p", "Ascend 910B",
                  "A100 40GB", "A100 PCIe", "H100 PCIe", "H100 NVL", "H800 PCIe", "L20", "GB200", "MI325X", "Gaudi 3",
                  "Ascend 910C"]


def test_required_cards_are_present() -> None:
    names = flopsheet.card_names()
    for name in REQUIRED_CARDS:
        assert name in names


@pytest.mark.parametrize("record", catalogue().values(), ids=lambda record: record.name)
def test_every_number_has_a_source_and_a_sane_unit(record) -> None:
    assert record.source.strip() and record.source_date.strip()
    assert record.dense, "a card needs at least one dense peak"
    for precision, peak in {**record.dense, **record.sparse}.items():
        assert precision in PRECISIONS
        assert record.source_of(f"dense.{precision}")
        assert peak.dimensionality == flopsheet.Q("1 TFLOPS/card").dimensionality
    for precision, sparse_peak in record.sparse.items():
        assert sparse_peak.magnitude == pytest.approx(2 * record.dense[precision].magnitude, rel=0.02)  # L40S datasheet: 362.05 vs 733
    for field, unit in (("memory", "GB/card"), ("bandwidth", "GB/s/card"), ("tdp", "W/card")):
        value = getattr(record, field)
        if value is not None:
            assert value.to(unit).magnitude > 0
            assert record.source_of(field)


def test_raw_file_has_a_source_line_per_record() -> None:
    with CATALOGUE_FILE.open("rb") as handle:
        records = tomllib.load(handle)["accelerator"]
    assert len(records) >= 10
    assert all("source" in record for record in records)
    assert all(key in record for record in records for key in ("name", "vendor", "variant", "released", "dense"))


def test_dense_is_the_default_and_sparse_must_be_asked_for() -> None:
    assert flopsheet.card_peak("H100", "fp8").to("TFLOPS/card").magnitude == 1979
    assert flopsheet.card_peak("H100", "fp8", sparse=True).to("TFLOPS/card").magnitude == 3958


def test_lookups_by_alias_and_per_card_fields() -> None:
    assert flopsheet.card_peak("tpu-v4", "BF16").to("TFLOPS/card").magnitude == 275
    assert flopsheet.card_memory("H200").to("GB/card").magnitude == 141
    assert flopsheet.card_memory("TPU v4").to("GiB/card").magnitude == 32
    assert flopsheet.card_bandwidth("A100").to("TB/s/card").magnitude == pytest.approx(2.039)
    assert flopsheet.card_power("H100").to("W/card").magnitude == 700
    assert flopsheet.card_peak("昇腾910B", "fp16").to("TFLOPS/card").magnitude == 320


def test_variants_resolve_by_their_own_names_not_the_family_record() -> None:
    assert flopsheet.card_bandwidth("A100 40GB").to("GB/s/card").magnitude == 1555
    assert flopsheet.card_power("A100 PCIe").to("W/card").magnitude == 300
    assert flopsheet.train_cards("1e24 FLOP", "H100 PCIe bf16", "40%", "60 days").m == pytest.approx(
        1e24 / (756.5e12 * 0.4 * 60 * 86400))
    assert flopsheet.card_peak("H100 NVL", "fp8", sparse=True).to("TFLOPS/card").magnitude == 3341
    assert flopsheet.card_peak("昇腾910C", "bf16").to("TFLOPS/card").magnitude == 780


def test_records_from_press_reports_say_so() -> None:
    for name in ("Ascend 910B", "Ascend 910C", "H20", "L20"):
        record = flopsheet.catalogue()[name]
        assert "press" in record.source.lower() + record.note.lower() + record.variant.lower()
