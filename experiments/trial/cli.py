"""``tumor-immune trial DESIGN.toml --out DIR [--patients N] [--workers W] [--scheduler ADDR]``.

Registered in :mod:`experiments.cli` by ``add_parser(sub)`` and dispatched to ``main(args)``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .design import load_design
from .run import run_trial

__all__ = ["add_parser", "main"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``trial`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "trial", help="virtual clinical trial from a design TOML: RECIST 1.1, KM, Cox HR, report",
        description="Run (or resume) a virtual clinical trial. DESIGN is a .toml path or a shipped design "
                    "(keynote086_like, impassion130_like).")
    p.add_argument("design", help="trial design TOML (or a shipped design's name)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/trial/<design name>)")
    p.add_argument("--patients", "-n", type=int, default=None, help="screened patients (default: the design's)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores; 1 = serial)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786)")
    p.add_argument("--no-figures", action="store_true", help="tables and report only")
    p.add_argument("--no-progress", action="store_true", help="no progress counter")
    p.set_defaults(handler=main)
    return p


def main(args: argparse.Namespace) -> int:
    """Run the ``trial`` subcommand; bad input raises ``ExperimentError`` (the CLI prints it, exit 2)."""
    design = load_design(args.design)
    out = args.out if args.out is not None else Path("results/trial") / design.name
    result = run_trial(design, out, patients=args.patients, workers=args.workers, scheduler=args.scheduler,
                       progress=not args.no_progress, plots=not args.no_figures)
    print((result.out_dir / "report.md").read_text())
    return 0
