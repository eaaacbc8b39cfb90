"""Close-match hints for named errors, written once for every module.

Every "unknown name" error in the model (parameter, treatment, field,
scenario, profile, key) ends with the same suggestion, so users learn one form.
"""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["close_match_hint"]


def close_match_hint(name: object, allowed: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest allowed name, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(name), list(allowed), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
