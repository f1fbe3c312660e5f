"""A hypothetical card and a clean catalogue for each test (shared by test_user_catalogue and test_field_language)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import flopsheet
from flopsheet.formulas.catalogues import cards

#: A user catalogue file with one card, X1 (bf16 2000 TFLOPS, fp8 4000 TFLOPS, 192 GB, 1000 W).
X1 = '''
[[accelerator]]
name = "X1"
aliases = ["X-1 module"]
vendor = "Hypothetical"
variant = "X1 module"
released = "2026-01"
dense = { bf16 = "2000 TFLOPS", fp8 = "4000 TFLOPS" }
memory = "192 GB"
tdp = "1000 W"
source = "a hypothetical card for the tests"
source_date = "2026-01"
'''


@pytest.fixture(autouse=True)
def clean_catalogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No FLOPSHEET_CATALOGUE during the test, and no file left loaded after it."""
    monkeypatch.delenv(cards.CATALOGUE_ENV, raising=False)
    yield
    flopsheet.unload_catalogue()
