"""Shared command-line options of the ready-made question scripts (``experiments/<question>.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from model import ParameterError

from .errors import ExperimentError, ExperimentInterrupted


def script_parser(description: str, out: str, replicates: int = 4) -> argparse.ArgumentParser:
    """The options every question script shares (replicates, days, seed, out, workers, ...)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--replicates", "-n", type=int, default=replicates, help=f"runs per scenario (default {replicates})")
    p.add_argument("--days", type=float, default=None, help="simulated days (default: the scenarios' 30)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--out", type=Path, default=Path(out), help=f"output directory (default {out})")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default all cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--lattice-size", type=int, default=None, help="N x N lattice (default 200)")
    p.add_argument("--quick", action="store_true", help="a fast look: 100 x 100 lattice, 2 replicates")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-figures", action="store_true", help="tables and statistics only")
    return p


def common_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`experiments.compare` / ``sweep`` from the parsed options."""
    lattice = args.lattice_size if args.lattice_size is not None else (100 if args.quick else None)
    return dict(
        replicates=2 if args.quick else args.replicates,
        days=args.days,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        lattice_size=lattice,
        progress=not args.no_progress,
        figures=not args.no_figures,
    )


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a script's ``main`` with the CLI's error handling (clear message, exit status 2)."""
    try:
        return main(argv)
    except (ExperimentError, ParameterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ExperimentInterrupted, KeyboardInterrupt) as exc:
        print(f"interrupted: {exc or 'finished runs are saved'}; re-run to resume", file=sys.stderr)
        return 3
