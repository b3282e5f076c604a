"""One-line notices a user should see once per process: a damaged cache entry, a read-only cache.

They are not failures (the run goes on with a correct result), so they are neither
exceptions nor warnings with a traceback: one line on stderr, past pytest's capture,
shown whatever the progress mode, and each distinct message only once.
"""

from __future__ import annotations

import sys

from .progress import unblocked

_SEEN: set[str] = set()


def notice(message: str) -> None:
    """Print ``scbench: <message>`` on stderr, unless this process printed it already."""
    line = " ".join(message.split())  # one line, whatever the message holds
    if line in _SEEN:
        return
    _SEEN.add(line)
    with unblocked():
        print(f"scbench: {line}", file=sys.stderr, flush=True)
