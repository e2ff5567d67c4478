"""Shared set-up of the security, crash and abuse tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _security_settings(settings: Any, tmp_path: Path) -> None:
    # These tests sign personas in directly; the second factor has its own tests.
    settings.CHUANGYE_REQUIRE_2FA = False
    # Uploads go to a folder of the test's own, never into the developer's data directory.
    settings.MEDIA_ROOT = tmp_path / "media"
