"""Shared fixtures. LibreOffice is required: a missing soffice fails, never skips."""

from __future__ import annotations

import pytest

from flopsheet.workbooks.xlsx.recalc import soffice_path


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of the LibreOffice binary; the test fails when it is missing."""
    try:
        return soffice_path()
    except RuntimeError as error:
        pytest.fail(str(error))
