"""The efficiency catalogue and the accelerators' link fields: data with sources, looked up by card."""

from __future__ import annotations

import pytest

from flopsheet.formulas.catalogues.cards import LINK_FIELDS, catalogue, find_card
from flopsheet.formulas.catalogues.efficiencies import KINDS, efficiency, efficiency_records
from flopsheet.units import Q, UnknownNameError


def test_every_record_has_a_source_and_a_date_and_bounds_around_its_value():
    records = efficiency_records()
    assert len(records) >= 10
    for record in records:
        assert record.source.strip() and record.source_date[:2] == "20"
        assert record.low <= record.value <= record.high


def test_every_kind_has_a_default():
    for kind in KINDS:
        assert efficiency(kind, link="scale_up").card is None or kind == "matmul"


@pytest.mark.parametrize(("card", "precision", "expected"), [
    ("H100 bf16", None, 794.5 / 989),      # MAMF table: 794.5 of 989 TFLOPS
    ("A100", "bf16", 271.2 / 312),
    ("MI300X bf16", None, 668.4 / 1300),
])
def test_matmul_shares_are_the_mamf_tables_ratios(card, precision, expected):
    assert efficiency("matmul", card, precision).value == pytest.approx(expected, abs=5e-4)


def test_the_most_specific_record_wins_and_unknown_kinds_are_refused():
    assert efficiency("matmul", "H100 fp8").value == pytest.approx(0.709)
    assert efficiency("matmul", "H100 fp16").card is None        # no fp16 measurement: the default
    # each link has its own record (the shares are measurements: neither is bound to be the smaller)
    assert efficiency("allreduce_busbw", link="scale_out").link == "scale_out"
    assert efficiency("allreduce_busbw", link="scale_up").link == "scale_up"
    assert efficiency("allreduce_latency", link="scale_out").value > efficiency("allreduce_latency", link="scale_up").low
    with pytest.raises(UnknownNameError, match="kind"):
        efficiency("flops")
    with pytest.raises(UnknownNameError, match="accelerator"):
        efficiency("matmul", "H1000")


def test_nvlink_cards_carry_per_direction_link_bandwidth_with_its_source():
    h100 = find_card("H100")
    assert h100.scale_up_bandwidth == Q(450, "GB/s/card")             # 900 GB/s both directions
    assert h100.scale_out_bandwidth.to("Gbit/s/card").magnitude == pytest.approx(400)
    assert (h100.scale_up_domain, h100.server_cards) == (8, 8)
    assert find_card("GB200").scale_up_domain == 72
    assert "DGX H100" in h100.source_of("scale_out_bandwidth")
    assert h100.source_of("memory") == h100.source


def test_link_fields_have_their_own_source_wherever_they_are_given():
    for record in catalogue().values():
        if record.scale_up_bandwidth is not None:
            assert record.links_source and record.links_source_date
            assert all(getattr(record, name) not in (None, "") for name in LINK_FIELDS)
            # bytes per second, per card: never a bit rate on the memory-side link
            assert record.scale_up_bandwidth.check("[information]/[time]/[card]")


def test_collective_times_follow_the_nccl_bus_bandwidth_model():
    import numpy as np

    from flopsheet.formulas.collectives import (all_to_all_seconds, allreduce_seconds, link,
                                                point_to_point_seconds, reduce_scatter_seconds)
    nvlink = link("H100 bf16")
    # nccl-tests' busbw: a 16 GiB all-reduce on 8 cards at busbw B takes 2*7/8*S/B
    payload, busbw = 16 * 2**30, 367.61e9
    assert allreduce_seconds(payload, 8, busbw, 0.0) == pytest.approx(2 * 7 / 8 * payload / busbw)
    assert reduce_scatter_seconds(payload, 8, busbw, 0.0) == pytest.approx(allreduce_seconds(payload, 8, busbw, 0.0) / 2)
    assert all_to_all_seconds(8e6, 4, 1e9, 1e-5) == pytest.approx(0.75 * 8e6 / 1e9 + 1e-5)
    assert point_to_point_seconds(1e6, 1e9, 0.0) == pytest.approx(1e-3)
    times = allreduce_seconds(np.array([1e6, 1e6]), np.array([1, 8]), nvlink.bytes_per_second, nvlink.latency_s)
    assert times[0] == 0 and times[1] > nvlink.latency_s
    nic = link("H100", "scale_out")
    assert nic.peak_bytes_per_second == pytest.approx(400e9 / 8)       # 400 Gbit/s is 50 GB/s
    with pytest.raises(Exception, match="scale_up"):
        link("TPU v3")
