"""One run at a time per project: a second `run` or `validate` is told, not interleaved.

An advisory lock (flock) on a file in the working directory; the kernel releases it when the
holding process ends, even when it is killed, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class ProjectBusyError(RuntimeError):
    """Another run of the same project holds the lock."""


@contextmanager
def project_lock(work_dir: Path) -> Iterator[None]:
    """Hold the project's run lock, or raise ProjectBusyError naming the holder."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / ".run.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ProjectBusyError(f"another run of this project is in progress ({holder}); "
                                   "wait for it to finish, then run again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield
    finally:
        handle.close()
