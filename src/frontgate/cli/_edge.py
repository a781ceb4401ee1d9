"""``frontgate verify`` and ``frontgate inspect``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the commands of this module."""
    del sub  # the edge commands are added here


__all__ = ["register"]
_unused: argparse.Namespace | None = None
