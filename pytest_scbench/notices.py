"""One-line notices a user should see: a damaged cache entry, a read-only cache.

They are not failures (the run goes on with a correct result), so they are neither
exceptions nor warnings with a traceback: one line on stderr, past pytest's capture,
shown whatever the progress mode. :class:`Notices` shows each distinct message once;
each session's :class:`~pytest_scbench.outputs.OutputStore` holds one.
"""

from __future__ import annotations

import sys

from .progress import unblocked


class Notices:
    """Prints ``scbench: <message>`` on stderr, each distinct message once."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def __call__(self, message: str) -> None:
        line = " ".join(message.split())  # one line, whatever the message holds
        if line in self.shown:
            return
        self.shown.append(line)
        with unblocked():
            print(f"scbench: {line}", file=sys.stderr, flush=True)
