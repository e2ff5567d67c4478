"""Fixtures of the loan programme's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.loans import testing


@pytest.fixture
def loan_settings(settings: Any, tmp_path: Path) -> None:
    """Uploads in a temporary folder; staff sign in without a second factor."""
    settings.CHUANGYE_REQUIRE_2FA = False
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def borrower_world(plan: Any, personas: dict[str, Any], loan_settings: None) -> dict[str, Any]:
    """The loan institutions and officers, and the entrepreneur persona as a borrower with a
    venture (``person`` and ``shop``)."""
    testing.setup(personas, testing.PASSWORD)
    registry.ensure_support_types()
    person = testing.borrower(personas, user=personas["entrepreneur"])
    personas["person"] = person
    personas["shop"] = testing.venture(personas, [person])
    return personas
