"""Replay cost at the page's largest lattice: recording size per simulated day and time per drawn frame.

Records a model of ``--grid`` x ``--grid`` sites for ``--days`` days (a frame every
``--every`` steps) into a temporary file, then times what the Replay tab does
for each frame: read it from the file, draw the lattice beside a field (the
page's painter, blitted), and both together (the tab's target: <= 150 ms at
200 x 200). The browser adds its own transfer and decoding time
(``tests/model/viz/test_replay_browser.py`` writes that to ``test-artifacts/replay_timing.txt``).

Run from the repository root::

    python benchmarks/bench_replay.py [--grid 200] [--days 3] [--every 12] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from model import TumorImmuneModel
from model.viz.lattice import LatticePainter
from model.viz.recording import Recording, RecordingWriter


def _time(fn, repeats: int) -> tuple[float, float, float]:
    """Median wall ms, median CPU ms (this process: steadier on a shared machine) and worst wall ms."""
    wall, cpu = [], []
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3, max(wall) * 1e3


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Parse arguments, record, time; print and return the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=200)
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--every", type=int, default=12, help="model steps between frames (12 = 6 h)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    m = TumorImmuneModel(rng=args.seed, lattice__width_sites=args.grid, lattice__height_sites=args.grid)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.h5"
        t0 = time.perf_counter()
        with RecordingWriter(path, args.every) as rec:
            rec.capture(m)
            while m.days < args.days:
                m.step()
                rec.capture(m)
            rec.finish(m)
        sim_s = time.perf_counter() - t0
        size_kb = path.stat().st_size / 1024
        with Recording(path) as r:
            n = len(r)
            painter = LatticePainter()
            painter.png(r.frame(0))
            read = _time(lambda i: r.frame(i % n), args.repeats)
            snaps = [r.frame(i) for i in range(n)]
            draw = _time(lambda i: painter.png(snaps[i % n]), args.repeats)
            both = _time(lambda i: painter.png(r.frame(i % n)), args.repeats)
    out = {"kb_per_day": size_kb / args.days, "read_ms": read[0], "draw_ms": draw[0], "frame_ms": both[0], "frame_cpu_ms": both[1]}
    print(f"grid {args.grid}x{args.grid}, {args.days:g} days, frame every {args.every} steps: {n} frames, "
          f"{size_kb:.0f} kB = {out['kb_per_day']:.0f} kB per simulated day "
          f"({size_kb / n:.1f} kB a frame; simulating + recording took {sim_s:.0f} s)")
    for name, (median, cpu, worst) in (("read a frame", read), ("draw a frame", draw), ("read + draw", both)):
        print(f"  {name:14s} wall median {median:6.1f} ms, CPU median {cpu:6.1f} ms, wall worst {worst:6.1f} ms")
    return out


if __name__ == "__main__":
    main()
