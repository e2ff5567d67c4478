"""`chuangye backup`, `chuangye restore` and `chuangye audit …` (registered by chuangye.cli)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the operations subcommands to the ``chuangye`` parser."""
