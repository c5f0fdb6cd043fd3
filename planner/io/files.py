"""Reading a file a user or a scenario names, in bounded memory.

``stat()`` cannot be trusted for the size (``/dev/zero`` and most of ``/proc`` say 0 bytes),
so a file is read up to its cap plus one byte, and only if it is a regular file: it is
opened without blocking, so a FIFO is refused instead of waiting for a writer.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from planner.core.errors import PlannerInputError

__all__ = ["read_capped"]


def read_capped(
    path: Path, limit: int, *, shown: str, fix: str, follow_symlinks: bool = True
) -> bytes:
    """At most ``limit + 1`` bytes of the regular file at ``path``: more than ``limit``
    means the file is too big.

    ``shown`` names the file in messages and ``fix`` says what to pass instead of a folder
    or a device. Without ``follow_symlinks`` a symlink at ``path`` is refused, for a caller
    that resolved the path and checked where it leads.

    Raises
    ------
    PlannerInputError
        For a folder, a device, a FIFO or a socket.
    OSError
        As ``os.open`` and ``read`` raise it (``FileNotFoundError`` for a missing file).

    >>> read_capped(Path("/dev/null"), 10, shown="null", fix="pass a file")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: null is not a regular file (a device, pipe or \
socket). To fix: pass a file.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise PlannerInputError(f"{shown} is a folder", fix=fix)
        if not stat.S_ISREG(mode):
            raise PlannerInputError(
                f"{shown} is not a regular file (a device, pipe or socket)", fix=fix
            )
        with open(fd, "rb", closefd=False) as file:
            return file.read(limit + 1)
    finally:
        os.close(fd)
