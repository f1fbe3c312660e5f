"""The training planner against published runs: Megatron-LM's Table 1, Llama 3, DeepSeek-V3, OPT, BLOOM.

Two kinds of case:

- *reproduction*: the run's published layout pinned (tensor, pipeline, data parallel,
  batch, recomputation, the software of its time), the planner's predicted per-GPU
  throughput or MFU against the published figure; tolerance 15% (issue 25);
- *search*: the planner's own best layout for the same model, cards and batch, with the
  software assumptions of the time, must reach the published figure's ballpark: at least
  85% of it (a better layout may beat it; the tolerance is one-sided and stated).

The error on the named set "Megatron-LM Table 1 (10 rows)" is stated the way Calculon and
Proteus state theirs: mean and worst absolute relative error (:func:`megatron_errors`):
7.7% mean, 11.9% worst (predicted TFLOP/s per GPU, 2026-12-04). On "Llama 3 405B Table 4
(3 rows)", BF16 MFU: 7.9% mean, 13.7% worst. Recorded misses: DeepSeek-V3 (-37%), OPT-175B
(+18%); BLOOM 176B +14.8% (a hit at 15%).

Megatron-LM Table 1 (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training
on GPU Clusters Using Megatron-LM", arXiv:2104.04473, SC21, Table 1): GPT models with
vocabulary 51,200 and sequence 2,048 on Selene (DGX A100 80 GB, 8 x 200 Gbit/s HDR
InfiniBand per server); "achieved teraFLOP/s per GPU" counts the paper's
``96 B s l h^2 (1 + s/6h + V/16lh)`` FLOP per iteration (full recomputation, i.e. hardware
FLOP) and includes data loading, optimizer and logging. The software of the time: full
activation recomputation, no sequence parallelism, the gradient all-reduce after the
backward pass (``dp_overlap=0``), gradients accumulated per micro-batch outside the GEMM
(``gradient_accumulation_fusion=False``), fp32 gradient all-reduce, attention scores written
to memory (``flash_attention=False``); micro-batch 1 (the
table does not list it; stated assumption).
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from flopsheet.formulas.catalogues.shapes import model_shape
from flopsheet.formulas.training.planner import training_plans

from .truthcase import TruthCase, check

MEGATRON = ("Narayanan et al. 2021, Efficient Large-Scale Language Model Training on GPU Clusters Using "
            "Megatron-LM, arXiv:2104.04473, Table 1")
#: (billions of parameters, heads, hidden, layers, tensor, pipeline, GPUs, batch, TFLOP/s per GPU, % of peak)
#: Transcribed from the paper, then checked against an independent transcription: every one of
#: these 100 numbers equals SotaroKaneda/MLCarbon data/megatron_table.csv (commit 69070b2,
#: read 2026-12-04), whose last column (aggregate PFLOP/s) agrees with GPUs x TFLOP/s per GPU to rounding.
MEGATRON_TABLE_1 = (
    (1.7, 24, 2304, 24, 1, 1, 32, 512, 137, 44),
    (3.6, 32, 3072, 30, 2, 1, 64, 512, 138, 44),
    (7.5, 32, 4096, 36, 4, 1, 128, 512, 142, 46),
    (18.4, 48, 6144, 40, 8, 1, 256, 1024, 135, 43),
    (39.1, 64, 8192, 48, 8, 2, 512, 1536, 138, 44),
    (76.1, 80, 10240, 60, 8, 4, 1024, 1792, 140, 45),
    (145.6, 96, 12288, 80, 8, 8, 1536, 2304, 148, 47),
    (310.1, 128, 16384, 96, 8, 16, 1920, 2160, 155, 50),
    (529.6, 128, 20480, 105, 8, 35, 2520, 2520, 163, 52),
    (1008.0, 160, 25600, 128, 8, 64, 3072, 3072, 163, 52),
)
#: The software of 2021 (see the module docstring).
MEGATRON_2021 = dict(sequence_parallel=False, dp_overlap=0, gradient_accumulation_fusion=False, flash_attention=False)
REPRODUCTION_TOLERANCE = 0.15
SEARCH_FLOOR = 0.85


def gpt(billions: float, heads: int, hidden: int, layers: int, vocab: int = 51200, context: int = 2048):
    """A GPT-architecture shape (learned positions, LayerNorm, biases, 4h MLP)."""
    return model_shape(f"GPT {billions:g}B", layers=layers, d_model=hidden, heads=heads, vocab=vocab,
                       positions="learned", norm="layernorm", bias="all", max_context=context)


@lru_cache(maxsize=None)
def megatron_row(index: int, search: bool = False) -> float:
    """Predicted hardware TFLOP/s per GPU of a Table 1 row: its layout pinned, or the planner's best."""
    billions, heads, hidden, layers, tp, pp, gpus, batch, _, _ = MEGATRON_TABLE_1[index]
    pins = {} if search else dict(tensor_parallel=tp, pipeline_parallel=pp, micro_batch=1, virtual_stages=1,
                                  zero_stage=0, recompute="full")
    plans = training_plans(gpt(billions, heads, hidden, layers), gpus, "A100 bf16", sequence=2048,
                           global_batch=batch, top=1, **MEGATRON_2021, **pins)
    return float(plans.iloc[0]["hardware_tflops_per_card"])


def megatron_errors() -> tuple[float, float]:
    """(mean, worst) absolute relative error of the reproduction on Megatron-LM Table 1 (10 rows)."""
    errors = [abs(megatron_row(index) / row[8] - 1) for index, row in enumerate(MEGATRON_TABLE_1)]
    return sum(errors) / len(errors), max(errors)


def _megatron_cases() -> list[TruthCase]:
    cases = []
    for index, (billions, _, _, _, tp, pp, gpus, batch, tflops, percent) in enumerate(MEGATRON_TABLE_1):
        cases.append(TruthCase(
            id=f"megatron-table1-{billions:g}B", what=f"GPT {billions:g}B on {gpus} A100, t={tp} p={pp}, batch {batch}: "
            "TFLOP/s per GPU from the published layout", citation=f"{MEGATRON}, row {billions:g}B ({percent}% of peak)",
            reference=tflops, unit="TFLOP/s/GPU", tolerance=REPRODUCTION_TOLERANCE,
            compute=lambda index=index: megatron_row(index)))
    return cases


def _search_cases() -> list[TruthCase]:
    """The planner's own best layout reaches at least 85% of each row's published throughput."""
    cases = []
    for index, (billions, _, _, _, _, _, gpus, batch, tflops, _) in enumerate(MEGATRON_TABLE_1):
        cases.append(TruthCase(
            id=f"megatron-table1-{billions:g}B-search", what=f"best layout the planner finds for GPT {billions:g}B on "
            f"{gpus} A100 (2021 software), as a share of the published TFLOP/s", citation=f"{MEGATRON}, row {billions:g}B",
            reference=1.0, unit="share of published", tolerance=1 - SEARCH_FLOOR,
            compute=lambda index=index, tflops=tflops: min(1.0, megatron_row(index, search=True) / tflops),
            note="one-sided: a better layout than the published one counts as reaching it"))
    return cases


LLAMA3 = "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783, Table 4 (BF16 MFU of Llama 3 405B pre-training)"
DEEPSEEK = ("DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv:2412.19437: 180K H800 GPU-hours per trillion tokens "
            "(section 1), PP16 x EP64 over 8 nodes x ZeRO-1 DP, no TP (section 3.2), sequence 4K, batch 15,360 (4.5.1)")
OPT = ("Zhang et al. 2022, OPT: Open Pre-trained Transformer Language Models, arXiv:2205.01068, section 2.4: 992 80GB "
       "A100, FSDP with Megatron tensor parallelism, up to 147 TFLOP/s per GPU; 2M-token batch (Table 1)")
BLOOM = ("BigScience, BLOOM: A 176B-Parameter Open-Access Multilingual Language Model, arXiv:2211.05100, section "
         "3.4/3.5: 384 A100 80GB (48 nodes), TP 4, PP 12, DP 8, ZeRO-1, global batch 2048 x 2048 tokens, "
         "156 TFLOP/s per GPU (hardware FLOP, with recomputation)")


def llama3(cards: int, dp: int, sequence: int, cp: int) -> float:
    plans = training_plans("Llama 3.1 405B", cards, "H100 bf16", sequence=sequence,
                           tokens_per_step=16 * 2 ** 20 if sequence == 8192 else 128 * sequence,
                           tensor_parallel=8, pipeline_parallel=16, context_parallel=cp, data_parallel=dp, top=1)
    return float(plans.iloc[0]["mfu"])


def deepseek() -> float:
    plans = training_plans("DeepSeek-V3", 2048, "H800 bf16", sequence=4096, global_batch=15360, tensor_parallel=1,
                           pipeline_parallel=16, expert_parallel=64, zero_stage=1, top=1)
    return float(plans.iloc[0]["mfu"])


def opt() -> float:
    plans = training_plans("OPT-175B", 992, "A100 bf16", sequence=2048, global_batch=992, tensor_parallel=8,
                           pipeline_parallel=1, zero_stage=3, recompute="full", flash_attention=False,
                           sequence_parallel=False, top=1)
    return float(plans.iloc[0]["hardware_tflops_per_card"])


def bloom() -> float:
    shape = model_shape("BLOOM 176B", layers=70, d_model=14336, heads=112, vocab=250880, positions="rope",
                        norm="layernorm", bias="all")
    plans = training_plans(shape, 384, "A100 bf16", sequence=2048, global_batch=2048, tensor_parallel=4,
                           pipeline_parallel=12, data_parallel=8, micro_batch=2, zero_stage=1, recompute="full",
                           **MEGATRON_2021, top=1)
    return float(plans.iloc[0]["hardware_tflops_per_card"])


OTHER_CASES = [
    TruthCase("llama3-405b-8k-16384", "Llama 3 405B on 16,384 H100, TP8 PP16 DP128, 8K sequence: BF16 MFU",
              LLAMA3 + ", row 16,384 GPUs, 41%", 0.41, "MFU", 0.15, lambda: llama3(16384, 128, 8192, 1)),
    TruthCase("llama3-405b-8k-8192", "Llama 3 405B on 8,192 H100, TP8 PP16 DP64, 8K sequence: BF16 MFU",
              LLAMA3 + ", row 8,192 GPUs, 43%", 0.43, "MFU", 0.15, lambda: llama3(8192, 64, 8192, 1)),
    TruthCase("llama3-405b-128k", "Llama 3 405B on 16,384 H100, TP8 CP16 PP16 DP8, 131K sequence: BF16 MFU",
              LLAMA3 + ", row 16,384 GPUs CP16, 38%", 0.38, "MFU", 0.15, lambda: llama3(16384, 8, 131072, 16)),
    TruthCase("deepseek-v3-2048-h800", "DeepSeek-V3 on 2,048 H800 (PP16 EP64 ZeRO-1): MFU implied by 180K GPU-hours "
              "per trillion tokens (6 x 37B active, H800 bf16 989 TFLOPS)", DEEPSEEK,
              6 * 37e9 * 1e12 / (180e3 * 3600 * 989e12), "MFU", 0.15, deepseek, expected="miss",
              note="DualPipe overlaps the expert all-to-all with compute and dispatches in FP8 with node-limited "
                   "routing; the planner exposes every all-to-all in bf16, so it predicts about half the MFU"),
    TruthCase("opt-175b", "OPT-175B on 992 A100, TP8 + FSDP: TFLOP/s per GPU", OPT, 147, "TFLOP/s/GPU", 0.15, opt,
              expected="miss", note="about +21%: 147 is the paper's 'up to'; the batch is rounded to 992 sequences "
                                    "(DP 124) and FSDP's weight gathers are modelled as fully bandwidth-bound"),
    TruthCase("bloom-176b", "BLOOM 176B on 384 A100, TP4 PP12 DP8 ZeRO-1: TFLOP/s per GPU", BLOOM, 156,
              "TFLOP/s/GPU", 0.15, bloom, expected="miss",
              note="about +15% (just outside): the planner over-predicts; it was +14.8% (a hit) while the "
                   "scale-out all-reduce share was the assumed 0.8, the cited 0.92 (nccl-tests, efficiencies.toml) "
                   "makes the data-parallel reduce faster"),
]

CASES = [*_megatron_cases(), *_search_cases(), *OTHER_CASES]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_case(case: TruthCase) -> None:
    check(case)


def test_megatron_table_error_is_stated() -> None:
    """The planner's error on Megatron-LM Table 1: mean and worst absolute error, as Calculon states its own."""
    mean, worst = megatron_errors()
    assert worst <= REPRODUCTION_TOLERANCE, f"worst {worst:.1%}"
    assert mean < worst, (mean, worst)
