"""`chuangye report …` subcommands (registered by chuangye.cli)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this app's subcommands to the ``chuangye`` parser."""
