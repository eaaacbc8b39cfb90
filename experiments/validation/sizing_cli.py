"""The command line the sizing pilots share: ``--pilot`` runs a claim's pilot and prints (or saves)
its figures, ``--power N,...`` prints the claim's simulated power for each size."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Sequence

from ..safeio import print_json

__all__ = ["sizing_main", "window_power_line"]


def sizing_main(argv: Sequence[str] | None, description: str, pilot: Callable[[int], Any],
                power_line: Callable[[int], str], pilot_help: str = "run the sizing pilot",
                power_help: str = "comma-separated runs per arm: print the claim's power") -> int:
    """Parse ``argv`` (``--workers``, ``--out``, ``--pilot``, ``--power``); run ``pilot(workers)`` and print
    its JSON (``--out``: also save it), and print ``power_line(n)`` for each ``--power`` size."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default=None, help="write the pilot's figures as JSON")
    ap.add_argument("--pilot", action="store_true", help=pilot_help)
    ap.add_argument("--power", default=None, help=power_help)
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers must be >= 1, got {args.workers}")
    if args.pilot:
        print_json(pilot(args.workers), args.out)
    if args.power:
        try:
            sizes = [int(x) for x in args.power.split(",")]
        except ValueError:
            ap.error(f"--power must be comma-separated whole numbers, got {args.power!r}")
        for n in sizes:
            print(n, power_line(n))
    return 0


def window_power_line(simulate: Callable[..., tuple[float, float]], n: int, alt: float = 0.93) -> str:
    """The window claims' power line: ``simulate(n)`` at a true ratio of 1 and ``simulate(n, alt)`` with the
    200-site window off by ``alt``."""
    return ("ratio 1: per-root %.2f, >= 80%% of roots %.2f" % simulate(n)
            + f" | ratio {alt:g} at 200 sites: " + "%.2f, %.2f" % simulate(n, alt))
