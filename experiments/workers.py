"""Local worker processes that never outlive the command that started them.

A ``ProcessPoolExecutor`` worker blocks on its task queue forever if the driver
is killed (SIGKILL/SIGTERM run no clean-up), and the multiprocessing resource
tracker lives as long as any worker holds its pipe -- ~180 MB each, left behind.
:func:`make_pool` starts workers with :func:`worker_init`, which

* watches the driver's pid (a ``pidfd`` where Linux has one, else polling) and
  ends the worker at once when the driver is gone -- the driver is not the
  worker's parent under ``forkserver``, so ``PR_SET_PDEATHSIG`` alone is not enough;
* also asks the kernel (``PR_SET_PDEATHSIG``) to kill the worker when its direct
  parent (the fork server) dies;
* ignores SIGINT: Ctrl-C reaches the whole process group, and the driver, not
  each worker, decides what happens to the runs in progress (they finish and are kept).

When the workers are gone the resource tracker sees its pipe close and exits too.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import ctypes.util
import multiprocessing
from multiprocessing import forkserver, resource_tracker
import os
import select
import signal
import sys
import threading
import time
from typing import Iterator

__all__ = ["make_pool", "worker_init", "mp_context", "pid_alive", "start_helpers", "sigint_deferred"]

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            # field 3, after the parenthesised command name, is the state
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _set_pdeathsig(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # no libc/prctl: the pid watch below still works
        pass


def _watch(pid: int) -> None:
    """Block until ``pid`` ends, then end this process immediately (no clean-up to hang in)."""
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # already gone, or kernel < 5.3
            if not pid_alive(pid):
                os._exit(1)
    if pidfd is not None:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while not poller.poll(None):
            pass
        os._exit(1)
    while pid_alive(pid):
        time.sleep(_POLL_SECONDS)
    os._exit(1)


def worker_init(driver_pid: int) -> None:
    """Pool initializer: die with the driver (and the fork server), leave SIGINT to the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_pdeathsig(signal.SIGKILL)
    if os.getppid() == 1 or not pid_alive(driver_pid):
        os._exit(1)
    threading.Thread(target=_watch, args=(driver_pid,), name="driver-watch", daemon=True).start()


def mp_context():
    """``forkserver`` with the model preloaded where available (fast, thread-safe), else ``spawn``.

    The fork server also imports :mod:`experiments.warmup`, which loads the compiled kernels
    once, so the workers forked from it do not each load them on their first run."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["experiments.runner", "model", "experiments.warmup"])
        return ctx
    return multiprocessing.get_context("spawn")


def start_helpers() -> None:
    """Start the resource tracker and fork server with SIGINT ignored.

    Ctrl-C reaches the whole process group; the fork server spends seconds
    importing the model, and a SIGINT meanwhile would kill it with a traceback.
    An ignored signal stays ignored across ``exec`` (a handled one would not), so
    the helpers, and the workers forked from the fork server, never see Ctrl-C;
    the driver stops ignoring it right after the (millisecond) start.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal dispositions can only be changed from the main thread
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
        if "forkserver" in multiprocessing.get_all_start_methods():
            forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C while workers start; act on it (as before) once they have.

    A worker being forked while the driver exits finds the pool's semaphores gone
    and dies with a traceback; noting the SIGINT meanwhile, instead of raising in
    the middle of a process launch, lets the driver shut the pool down cleanly.
    A Python-level handler is used because a thread signal mask would not stop
    the kernel from handing the signal to another thread (pyarrow's, say).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    hits: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hits.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if hits and callable(previous):
        previous(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt here


def make_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` processes that end when this process ends."""
    ctx = mp_context()
    if ctx.get_start_method() == "forkserver":
        start_helpers()
    return cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=worker_init, initargs=(os.getpid(),)
    )
