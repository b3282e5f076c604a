"""The mode a file written atomically ends with: the target's own, else 0666 under the umask.

Atomic writers create a temporary file with :func:`tempfile.mkstemp` (mode 0600) and
rename it over the target. Without :func:`keep_mode`, every rewrite would make a shared
file (a baseline file in a checkout, a cached output) readable by its owner only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: The process's umask, read once at import (reading it means setting it).
UMASK = _read_umask()


def mode_for(target: Path | str) -> int:
    """The permission bits ``target`` has now, or ``0o666 & ~umask`` when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~UMASK


def keep_mode(tmp: Path | str, target: Path | str) -> None:
    """Give the temporary file ``tmp`` the mode ``target`` should end with, before the rename."""
    os.chmod(tmp, mode_for(target))
