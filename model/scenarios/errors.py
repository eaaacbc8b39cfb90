"""The scenario error and its "unknown name" message."""

from __future__ import annotations

from typing import Sequence

from ..engine.hints import close_match_hint
from ..engine.parameters import ParameterError

__all__ = ["ScenarioError", "unknown_name"]


class ScenarioError(ParameterError):
    """A scenario name, file or field is not allowed."""


def unknown_name(kind: str, name: str, allowed: Sequence[str]) -> str:
    """``unknown <kind> '<name>'; did you mean ...? (available: ...)``."""
    return f"unknown {kind} '{name}'{close_match_hint(name, allowed)} (available: {', '.join(allowed)})"
