"""Command line: ``tumor-immune {compare,sweep,cohort,movie,list,validate,verify} ...`` (also ``python -m experiments``).

Examples::

    tumor-immune list
    tumor-immune compare untreated checkpoint_blockade --replicates 8 --days 30 --seed 1 --out results/cpb
    tumor-immune compare untreated anti_osm --set lattice.width_sites=120 --set lattice.height_sites=120
    tumor-immune sweep irf7_silenced_plus_interferon --param interferon_dosing.dose=1:10:4 \\
        --param interferon_dosing.start_day=0,2,4,8 --replicates 2 --response metastatic_seeds
    tumor-immune cohort untreated checkpoint_blockade --patients 40 --out results/cohort
    tumor-immune compare untreated checkpoint_blockade --scheduler tcp://10.0.0.5:8786
    tumor-immune compare untreated checkpoint_blockade --record-every 12 --out results/cpb
    tumor-immune movie results/cpb --run untreated --run checkpoint_blockade --out cpb.mp4
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Sequence

from model import FIELD_NAMES, TREATMENTS, ParameterError, Parameters, list_profiles, list_scenarios

from . import api, calibration, sensitivity
from .errors import ExperimentError, ExperimentInterrupted
from .movie_cli import add_movie_parser, run_movie
from .outcomes import OUTCOME_DESCRIPTIONS
from .trial import cli as trial_cli
from .verify import format_report, verify_out_dir

__all__ = ["main", "build_parser"]


def _days_list(text: str) -> list[float] | None:
    if text.strip().lower() in ("none", ""):
        return []
    try:
        return [float(x) for x in text.replace(" ", ",").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of days (e.g. 0,15,30)") from None


def _common(p: argparse.ArgumentParser, *, out_default: str, snapshots_default: str | None) -> None:
    g = p.add_argument_group("run options")
    g.add_argument("--days", type=float, default=None, help="simulated days (default: the scenario's duration)")
    g.add_argument("--seed", type=int, default=0, help="root random seed (default 0)")
    g.add_argument("--out", type=Path, default=Path(out_default),
                   help=f"output directory; re-running the same command resumes (default {out_default})")
    g.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="parameter override, repeatable: a dotted model parameter "
                        "(lattice.width_sites=120) or a treatment field (checkpoint_blockade.dose=5)")
    g.add_argument("--lattice-size", type=int, default=None, metavar="N",
                   help="square lattice of N x N sites (shortcut for two --set options)")
    g.add_argument("--sample-hours", type=float, default=6.0,
                   help="time-series rows every this many hours (default 6; outcomes use every step)")
    g.add_argument("--snapshot-days", type=_days_list, default=snapshots_default, metavar="D1,D2,...",
                   help="days for spatial snapshots of the first replicate; 'none' for none "
                        + ("(default: start, middle, end)" if snapshots_default is None else "(default none)"))
    g.add_argument("--snapshot-field", default="interferon", choices=list(FIELD_NAMES),
                   help="field drawn under the cell map in snapshot figures")
    g.add_argument("--baseline-day", type=float, default=None, metavar="DAY",
                   help="RECIST baseline for response and progression (default: the first dose of the "
                        "earliest treatment among the scenarios; 0 if none is treated)")
    x = p.add_argument_group("execution")
    x.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores; 1 = serial)")
    x.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786): run on that cluster instead of locally")
    x.add_argument("--no-progress", action="store_true", help="no progress bar")
    o = p.add_argument_group("output")
    o.add_argument("--csv", action="store_true", help="also write CSV copies of the tables")
    o.add_argument("--no-figures", action="store_true", help="skip figures")
    o.add_argument("--figure-formats", default="png,svg", metavar="FMT,...",
                   help="figure file formats: png, svg, pdf (default png,svg)")
    p.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)  # test hook


def _record_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--record-every", type=int, default=0, metavar="K",
                   help="record every run's lattice every K model steps into OUT/recordings for replay "
                        "(`tumor-immune movie`, the page's Replay tab); default 0 = no recording")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tumor-immune",
        description="Agent-based tumor-immune simulations: compare therapies over replicate runs, "
                    "sweep doses, simulate virtual patient cohorts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `tumor-immune COMMAND --help` for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("compare", help="run scenarios over replicates; tables, statistics, figures",
                       description="Run each SCENARIO --replicates times; the first is the reference.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="registered name (see `list`) or a .toml file")
    p.add_argument("--replicates", "-n", type=int, default=4, help="runs per scenario (default 4)")
    p.add_argument("--reference", default=None, help="scenario to compare against (default: the first)")
    _common(p, out_default="results/compare", snapshots_default=None)
    _record_option(p)

    p = sub.add_parser("sweep", help="parameter/dose sweep (grid or Latin hypercube) with a response surface",
                       description="Sweep parameters of one SCENARIO. Parameters are dotted model parameters "
                                   "or <treatment>.<field> (e.g. interferon_dosing.dose).")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--param", "-p", dest="params", action="append", default=[], required=True,
                   metavar="NAME=SPEC", help="NAME=LO:HI:N (grid of N values), NAME=v1,v2,... or NAME=LO:HI (lhs range)")
    p.add_argument("--design", choices=["grid", "lhs"], default="grid", help="full grid or Latin hypercube")
    p.add_argument("--samples", type=int, default=None, help="Latin hypercube points (default 10 per parameter)")
    p.add_argument("--replicates", "-n", type=int, default=2, help="runs per design point (default 2)")
    p.add_argument("--response", action="append", default=None, metavar="OUTCOME",
                   help="outcome for the response surface, repeatable (default final_tumor_cells)")
    _common(p, out_default="results/sweep", snapshots_default="none")

    p = sub.add_parser("cohort", help="virtual patient cohort: waterfall, responders, Kaplan-Meier",
                       description="Treat the same virtual patients in every arm; the first arm is the reference.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.add_argument("--patients", "-n", type=int, default=20, help="cohort size (default 20)")
    p.add_argument("--reference", default=None, help="arm to compare against (default: the first)")
    _common(p, out_default="results/cohort", snapshots_default="none")
    _record_option(p)

    add_movie_parser(sub)

    p = sub.add_parser("list", help="available scenarios (and profiles, treatments, outcomes)")
    p.add_argument("--profiles", action="store_true", help="list tumor/patient profiles")
    p.add_argument("--treatments", action="store_true", help="list treatment types")
    p.add_argument("--outcomes", action="store_true", help="list per-run outcomes")
    p.add_argument("--parameters", action="store_true", help="list model parameters with defaults and units")

    p = sub.add_parser("verify", help="check an output directory's files against its manifest's checksums and specs",
                       description="Check every file of RESULTS against the SHA-256 checksums and run specs in its "
                                   "manifest.json; print each problem (exit status 1 if any).")
    p.add_argument("results", type=Path, metavar="RESULTS", help="an experiment's output directory (its --out)")

    p = sub.add_parser("validate", help="run the validation suite (experiments.validation)")
    p.add_argument("--out", type=Path, default=Path("results/validation"), help="output directory")
    p.add_argument("--quick", action="store_true", help="small, fast version")
    p.add_argument("--journal", type=Path, default=None, metavar="FILE",
                   help="resume the long claim runs: see python -m experiments.validation --help")
    sensitivity.add_parser(sub)
    calibration.add_parser(sub)
    trial_cli.add_parser(sub)
    return parser


def _list(args) -> int:
    def table(title: str, items: dict[str, str]) -> None:
        print(title)
        w = max(len(k) for k in items) if items else 0
        for k, v in items.items():
            print(f"  {k:<{w}}  {v}")

    any_flag = args.profiles or args.treatments or args.outcomes or args.parameters
    if not any_flag:
        table("Scenarios (use a name, or a .toml file; see docs):", list_scenarios())
    if args.profiles:
        table("Profiles:", list_profiles())
    if args.treatments:
        table("Treatments (override fields with --set <treatment>.<field>=...):",
              {k: getattr(v, "description", "") for k, v in TREATMENTS.items()})
    if args.outcomes:
        table("Outcomes (one row per run in outcomes.parquet):", OUTCOME_DESCRIPTIONS)
    if args.parameters:
        table("Parameters (--set NAME=VALUE):",
              {n: f"{v!r} {u} [{lo}, {hi}]" for n, v, u, (lo, hi), _ in Parameters().leaves()})
    return 0


def _validate(args) -> int:
    # imported on demand: the suite is heavy and only this command needs it (and an
    # installation without it gets a clear error instead of a broken CLI)
    try:
        validation = importlib.import_module("experiments.validation")
    except ModuleNotFoundError as exc:
        if exc.name == "experiments.validation":
            raise ExperimentError(
                "the validation suite (experiments/validation/) is not available in this installation"
            ) from None
        raise
    if not hasattr(validation, "main"):
        raise ExperimentError("experiments.validation has no main(out_dir, quick) function")
    kw = {"journal": args.journal} if args.journal is not None else {}
    rc = validation.main(out_dir=Path(args.out), quick=bool(args.quick), **kw)
    return int(rc) if isinstance(rc, int) else 0


def _verify(args) -> int:
    report = verify_out_dir(args.results)
    print(format_report(report))
    return 0 if report.ok else 1


def _saved_runs(out: Path | None) -> str:
    """What an interruption outside the run loop leaves behind, for the message."""
    runs = sorted((out / "runs").glob("*.parquet")) if out is not None and (out / "runs").is_dir() else []
    if not runs:
        return "no run had finished; nothing was saved"
    return f"{len(runs)} finished runs are saved in '{out}'; re-run the same command to resume"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tumor-immune`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "list":
            return _list(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "verify":
            return _verify(args)
        if args.command in ("sensitivity", "calibrate", "trial"):
            return args.handler(args)
        if args.command == "movie":
            return run_movie(args)
        common = dict(
            days=args.days,
            seed=args.seed,
            out=args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            overrides=args.overrides,
            lattice_size=args.lattice_size,
            sample_hours=args.sample_hours,
            snapshot_days=args.snapshot_days,
            snapshot_field=args.snapshot_field,
            csv=args.csv,
            figures=False if args.no_figures else args.figure_formats,
            progress=not args.no_progress,
            stop_after=args.stop_after,
            baseline_day=args.baseline_day,
        )
        if args.command == "compare":
            result = api.compare(args.scenarios, replicates=args.replicates, reference=args.reference,
                                 record_every=args.record_every, **common)
        elif args.command == "cohort":
            result = api.cohort(args.scenarios, patients=args.patients, reference=args.reference,
                                record_every=args.record_every, **common)
        elif args.command == "sweep":
            result = api.sweep(
                args.scenario, args.params, design=args.design, samples=args.samples,
                replicates=args.replicates, response=args.response or "final_tumor_cells", **common,
            )
        else:  # pragma: no cover - argparse restricts choices
            parser.error(f"unknown command {args.command}")
        print(result.report)
        return 0
    except ExperimentInterrupted as exc:
        print(f"interrupted: {exc}", file=sys.stderr)
        return 130 if exc.by_user else 3
    except KeyboardInterrupt:
        # Ctrl-C outside the run loop (planning, tables, figures): say what is on disk
        print(f"\ninterrupted: {_saved_runs(getattr(args, 'out', None))}", file=sys.stderr)
        return 130
    except (ExperimentError, ParameterError) as exc:
        # bad input: ExperimentError, model.ScenarioError / ParameterError / TreatmentError
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
