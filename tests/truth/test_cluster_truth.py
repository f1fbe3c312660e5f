"""Cluster economics against published figures: reference architectures, DeepSeek's cost arithmetic.

Fabric counts come from NVIDIA's DGX SuperPOD reference architectures (their compute-fabric
component tables); the cost arithmetic from DeepSeek's own publications. Tolerances are 0
for counts (a switch is a switch) and 0.1% for money computed from rounded published inputs.
"""

from __future__ import annotations

import warnings

import pytest

import flopsheet
from flopsheet import AssumptionWarning

from .truthcase import TruthCase, check

H100_RA = ("NVIDIA DGX SuperPOD Reference Architecture, DGX H100 (RA-11333-001), Network Fabrics, Table 4 'Compute "
           "fabric component count', docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-h100/"
           "latest/network-fabrics.html")
B200_RA = ("NVIDIA DGX SuperPOD Reference Architecture, DGX B200, 'Larger DGX SuperPOD component counts' table, "
           "docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-b200/latest/"
           "dgx-superpod-architecture.html")
DEEPSEEK_V3 = "DeepSeek-V3 Technical Report, arXiv:2412.19437, Table 1 (training costs, assuming USD 2 per H800 GPU hour)"
DEEPSEEK_DAY6 = ("DeepSeek, 'Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview' (2025-03-01, "
                 "github.com/deepseek-ai/open-infra-index): 226.75 nodes of 8 H800 on average, USD 2/GPU-hour, "
                 "cost USD 87,072/day; 608B input tokens (342B, 56.3%, cache hits), 168B output; at R1 prices "
                 "(0.14/0.55/2.19 USD per M) theoretical revenue USD 562,027/day, cost profit margin 545%")


def _net(cards: int, card: str = "H100"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        return flopsheet.cluster_network(cards, card)


def _count(cards: int, tier: str, column: str, card: str = "H100") -> callable:
    return lambda: float(_net(cards, card).loc[tier, column])


# Table 4 of the H100 RA: SU count, nodes, GPUs, leaf, spine, compute+UFM cables, spine-leaf cables.
H100_TABLE = [(1, 31, 248, 8, 4, 252, 256), (2, 63, 504, 16, 8, 508, 512), (3, 95, 760, 24, 16, 764, 768),
              (4, 127, 1016, 32, 16, 1020, 1024)]
# The B200 RA's larger-SuperPOD table: SU, GPUs, leaf, spine, core; cables per tier = GPUs.
B200_TABLE = [(2, 512, 16, 8, 0), (4, 1024, 32, 16, 0), (8, 2048, 64, 32, 0), (16, 4096, 128, 128, 64),
              (32, 8192, 256, 256, 128), (64, 16384, 512, 512, 256)]

CASES: list[TruthCase] = []
for su, nodes, gpus, leaf, spine, node_cables, spine_cables in H100_TABLE:
    CASES += [
        TruthCase(f"h100-ra-{su}su-leaf", f"DGX SuperPOD H100, {su} SU ({gpus} GPUs): leaf QM9700 switches", H100_RA,
                  leaf, "switch", 0.0, _count(gpus, "leaf", "switches")),
        TruthCase(f"h100-ra-{su}su-spine", f"DGX SuperPOD H100, {su} SU: spine QM9700 switches", H100_RA, spine,
                  "switch", 0.0, _count(gpus, "spine", "switches"),
                  note="3 SU: 24 leaves x 32 uplinks need 12 spines; 16 = the next divisor of 32, so every leaf "
                       "reaches every spine with 2 links" if su == 3 else ""),
        TruthCase(f"h100-ra-{su}su-spine-leaf-cables", f"DGX SuperPOD H100, {su} SU: spine-leaf cables", H100_RA,
                  spine_cables, "cable", 0.0, _count(gpus, "spine", "cables"),
                  note="every leaf's 32 uplinks are cabled, as the RA builds full SUs"),
        TruthCase(f"h100-ra-{su}su-compute-cables", f"DGX SuperPOD H100, {su} SU: compute and UFM cables", H100_RA,
                  node_cables, "cable", 0.001, _count(gpus, "leaf", "cables"), expected="miss",
                  note="flopsheet counts the GPUs' links only; the RA adds 4 UFM appliance links to the fabric"),
    ]
for su, gpus, leaf, spine, core in B200_TABLE:
    CASES += [
        TruthCase(f"b200-ra-{su}su-leaf", f"DGX SuperPOD B200, {su} SU ({gpus} GPUs): leaf switches", B200_RA, leaf,
                  "switch", 0.0, _count(gpus, "leaf", "switches", "B200")),
        TruthCase(f"b200-ra-{su}su-spine", f"DGX SuperPOD B200, {su} SU: spine switches", B200_RA, spine, "switch",
                  0.0, _count(gpus, "spine", "switches", "B200")),
        TruthCase(f"b200-ra-{su}su-node-leaf-cables", f"DGX SuperPOD B200, {su} SU: node-leaf cables", B200_RA, gpus,
                  "cable", 0.0, _count(gpus, "leaf", "cables", "B200")),
        TruthCase(f"b200-ra-{su}su-leaf-spine-cables", f"DGX SuperPOD B200, {su} SU: leaf-spine cables", B200_RA,
                  gpus, "cable", 0.0, _count(gpus, "spine", "cables", "B200")),
    ]
    if core:
        CASES += [
            TruthCase(f"b200-ra-{su}su-core", f"DGX SuperPOD B200, {su} SU: core switches", B200_RA, core, "switch",
                      0.0, _count(gpus, "core", "switches", "B200")),
            TruthCase(f"b200-ra-{su}su-spine-core-cables", f"DGX SuperPOD B200, {su} SU: spine-core cables",
                      B200_RA, gpus, "cable", 0.0, _count(gpus, "core", "cables", "B200")),
        ]

# Fat-tree arithmetic by hand (k-port switches, non-blocking): k²/2 hosts on 3k/2 switches at
# two tiers, k³/4 hosts on 5k²/4 at three, k⁴/8 hosts on 7k³/8 at four.
HAND = "Al-Fares, Loukissas, Vahdat, 'A Scalable, Commodity Data Center Network Architecture', SIGCOMM 2008 (k-ary fat-tree: k³/4 hosts, 5k²/4 switches); the same arithmetic one tier down and up"
for k, tiers, hosts, switches in [(64, 2, 2048, 96), (64, 3, 65536, 5120), (16, 4, 8192, 3584), (8, 4, 512, 448)]:
    CASES.append(TruthCase(
        f"fat-tree-k{k}-{tiers}-tiers", f"{hosts} hosts on a {tiers}-tier fat-tree of {k}-port switches: switches",
        HAND, switches, "switch", 0.0,
        lambda k=k, hosts=hosts: float(flopsheet.cluster_network(hosts, "H100", switch_radix=k,
                                                                 rail_optimized=False).loc["total", "switches"])))


def _day6_cost() -> float:
    """226.75 nodes x 8 GPUs for 24 hours at USD 2 per GPU-hour."""
    return float(flopsheet.training_cost(226.75 * 8, "2 USD/card_hour", duration="24 hours").to("USD").magnitude)


def _day6_margin():
    return flopsheet.serving_margin("608e9 token", "168e9 token", "0.55 USD/Mtoken", "2.19 USD/Mtoken",
                                    f"{_day6_cost()} USD", cache_hit_share=342 / 608,
                                    cached_input_price="0.14 USD/Mtoken")


CASES += [
    TruthCase("deepseek-v3-training-cost", "DeepSeek-V3 training cost: 2.788M H800 GPU-hours x USD 2", DEEPSEEK_V3,
              5.576e6, "USD", 0.0005,
              lambda: float(flopsheet.training_cost("2.788e6 card_hour", "2 USD/card_hour").to("USD").magnitude)),
    TruthCase("deepseek-v3-pretraining-cost", "DeepSeek-V3 pre-training: 2,664K GPU-hours x USD 2", DEEPSEEK_V3,
              5.328e6, "USD", 0.0005,
              lambda: float(flopsheet.training_cost("2664e3 card_hour", "2 USD/card_hour").to("USD").magnitude)),
    TruthCase("deepseek-day6-cost", "DeepSeek V3/R1 serving cost a day", DEEPSEEK_DAY6, 87072, "USD/day", 0.0005,
              _day6_cost),
    TruthCase("deepseek-day6-revenue", "DeepSeek theoretical revenue a day at R1 prices", DEEPSEEK_DAY6, 562027,
              "USD/day", 0.001, lambda: float(_day6_margin().loc[0, "revenue"]),
              note="from the post's rounded token counts (608B, 342B, 168B): 562,100, +0.013%"),
    TruthCase("deepseek-day6-profit-over-cost", "DeepSeek 'cost profit margin' = profit / cost", DEEPSEEK_DAY6, 5.45,
              "", 0.002, lambda: float(_day6_margin().loc[0, "profit_over_cost"]),
              note="545% is profit_over_cost; margin_on_revenue is 84.5%"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_cluster_truth(case: TruthCase) -> None:
    check(case)
