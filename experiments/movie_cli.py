"""``tumor-immune movie RESULTS --run RUN [--run RUN2] [--out movie.gif]``: a GIF/MP4 of recorded runs.

Two ``--run`` options put two runs side by side (stacked, in step by day).
A missing, unfinished or foreign results folder gets a one-line message and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import FIELD_NAMES
from model.viz.movie import write_movie
from model.viz.recording import RecordingError
from model.viz.results_folder import ResultsFolder


def add_movie_parser(sub) -> argparse.ArgumentParser:
    """Register the ``movie`` subcommand on ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser("movie", help="GIF/MP4 of recorded runs (compare/cohort --record-every K)",
                       description="Draw recorded runs of a results folder into a GIF or MP4.")
    p.add_argument("results", type=Path, metavar="RESULTS", help="results folder (--out of compare/cohort)")
    p.add_argument("--run", action="append", required=True, metavar="RUN",
                   help="run id (e.g. untreated__r000) or SCENARIO[:REPLICATE]; twice for side by side")
    p.add_argument("--out", type=Path, default=None, help="movie file, .gif or .mp4 (default RESULTS/movie.gif)")
    p.add_argument("--field", default="interferon", choices=list(FIELD_NAMES))
    p.add_argument("--shading", default="antigenicity", choices=["antigenicity", "pd_l1"])
    p.add_argument("--fps", type=float, default=5.0, help="frames per second (default 5)")
    p.add_argument("--every", type=int, default=1, help="use every N-th recorded frame (default 1)")
    return p


def run_movie(args: argparse.Namespace) -> int:
    """Write the movie; print its path; return the exit status (2 on a bad folder or option)."""
    try:
        folder = ResultsFolder(args.results)
        recordings = [folder.open(run) for run in args.run]
        try:
            out = write_movie(recordings, args.out or args.results / "movie.gif", args.field, args.shading,
                              fps=args.fps, every=args.every)
        finally:
            for rec in recordings:
                rec.close()
    except RecordingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({len(recordings[0].days[::args.every])} frames)")
    return 0
