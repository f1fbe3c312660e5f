"""Catalogue shapes: the parameters counted from each shape's layers and widths against the published total.

flopsheet counts embeddings, attention, FFN, norms and biases from the shape; the
reference is the total the authors publish (model card, paper), within 2%.
"""

from __future__ import annotations

import pytest

import flopsheet

from .truthcase import TruthCase, check

#: Shape name -> (published total parameters, where it is published).
PUBLISHED = {
    "Qwen2.5 7B": (7.61e9, "Qwen/Qwen2.5-7B model card: Number of Parameters 7.61B"),
    "Qwen2.5 72B": (72.7e9, "Qwen/Qwen2.5-72B model card: Number of Parameters 72.7B"),
    "OPT-175B": (175e9, "Zhang et al. 2022, OPT (arXiv:2205.01068), Table 1"),
    "PaLM 540B": (540.35e9, "Chowdhery et al. 2022, PaLM (arXiv:2204.02311), Table 1"),
    "Nemotron-4 340B": (341.0e9, "Nemotron-4 340B Technical Report (arXiv:2406.11704), section 2.1: 9.4B + 331.6B"),
    "Falcon-180B": (180e9, "tiiuae/falcon-180B model card: 180B parameters"),
    "MPT-7B": (6.7e9, "mosaicml/mpt-7b model card: n_parameters 6.7B"),
    "Llama 2 70B": (70e9, "Touvron et al. 2023, Llama 2 (arXiv:2307.09288), Table 1: 70B"),
    "GPT-3 175B": (175e9, "Brown et al. 2020 (arXiv:2005.14165), Table 2.1: 175.0B"),
}

CASES = [TruthCase(id=name, what=f"{name} total parameters counted from its shape", citation=citation,
                   reference=reference, unit="parameter", tolerance=0.02,
                   compute=lambda name=name: float(flopsheet.model_shape(name).params))
         for name, (reference, citation) in PUBLISHED.items()]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_published_shape_parameters(case: TruthCase) -> None:
    check(case)


#: The shapes issue 22 added to the catalogue.
ADDED = ("Qwen2.5 7B", "Qwen2.5 72B", "OPT-175B", "PaLM 540B", "Nemotron-4 340B", "Falcon-180B", "MPT-7B")


def test_every_new_shape_carries_a_source_and_its_published_total() -> None:
    for name in ADDED:
        shape = flopsheet.model_shape(name)
        assert shape.source and shape.published_params == pytest.approx(PUBLISHED[name][0], rel=1e-9)


@pytest.mark.parametrize(("typed", "record"), [("Llama 3 70B", "Llama 3.1 70B"), ("Llama-3-70B", "Llama 3.1 70B"),
                                               ("llama 3 8b", "Llama 3.1 8B"), ("Llama 3 405B", "Llama 3.1 405B")])
def test_family_aliases_name_the_31_records(typed: str, record: str) -> None:
    """model_shape takes what mfu takes ("Llama 3 405B"): Llama 3 and 3.1 share layers and widths."""
    assert flopsheet.model_shape(typed).name == record
