"""File names built from user-given names, kept inside the cache directory.

Cache paths are made of data set names, model fingerprints, parameters and seeds; some of
these come from suite files, fixtures or third-party registrations. :func:`component`
turns any such text into one safe path component (never ``..``, a separator, an absolute
path, a NUL or a name too long for the file system), and :func:`inside` joins components
under a root.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

#: Longest component we write: far below the usual 255-byte limit, leaving room for suffixes.
MAX_COMPONENT = 100

_SAFE = re.compile(r"^[A-Za-z0-9_+\-][A-Za-z0-9_.+\-]*$")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_.+\-]+")


def component(name: str) -> str:
    """``name`` itself when it is a safe, short file name; else a readable, unique stand-in.

    The stand-in keeps the safe characters of ``name`` (cut short) and adds a hash of the
    whole name, so two different names never share a cache entry.
    """
    text = str(name)
    if _SAFE.match(text) and len(text) <= MAX_COMPONENT and text.strip(".") and ".." not in text:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = _UNSAFE_RUN.sub("_", text).strip("._")[: MAX_COMPONENT - 13].replace("..", "_")
    return f"{readable}-{digest}" if readable else f"x-{digest}"


def inside(root: Path, *names: str) -> Path:
    """``root / component(n1) / component(n2) ...``: a path under ``root`` whatever the names.

    Links a user placed inside the cache are followed as the file system does; only the
    names are made safe.
    """
    return Path(root).joinpath(*(component(n) for n in names))
