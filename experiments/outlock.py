"""An exclusive lock on an output directory, so two commands never both do its work.

The lock is an advisory ``flock`` on ``<out>/.lock``. The kernel releases it when
the holding process ends, however it ends (SIGKILL included), so a crashed
command never leaves a stale lock behind; the file itself stays and is harmless.
The lock file holds the holder's pid, only to name it in the error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_NAME", "OutDirBusy", "OutDirLock"]

LOCK_NAME = ".lock"


class OutDirBusy(RuntimeError):
    """Another process holds the output directory's lock."""


class OutDirLock:
    """Context manager holding ``<out>/.lock`` exclusively (non-blocking: busy -> :class:`OutDirBusy`)."""

    def __init__(self, out_dir: str | os.PathLike):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> "OutDirLock":
        """Take the lock; raise :class:`OutDirBusy` naming the holder if it is taken."""
        if self._fd is not None:
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                finally:
                    os.close(fd)
                raise OutDirBusy(
                    f"output directory '{self.out_dir}' is in use by another tumor-immune command "
                    f"(pid {holder}); wait for it to finish or choose another --out"
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases the ``flock``)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "OutDirLock":
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
