"""Progress of a long start (a large cloud): nodes up, then bridges exact, as they happen: a
bar redrawn in place on a terminal, plain lines otherwise (a log, CI)."""
from __future__ import annotations

import sys
import time


class Progress:
    """progress(stage, done, total): called by EmulatedCloud.populate (stage "nodes up") and
    converge.wait_converged ("bridges exact")."""

    WIDTH = 30

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.last: tuple | None = None
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if (stage, done) == self.last:
            return
        self.last = (stage, done)
        seconds = time.monotonic() - self.started
        if self.tty:
            filled = self.WIDTH * done // max(total, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            end = "\n" if done == total else ""
            self.out.write(f"\r*** [{bar}] {done}/{total} {stage} ({seconds:.1f}s){end}")
        else:
            self.out.write(f"*** {done}/{total} {stage} ({seconds:.1f}s)\n")
        self.out.flush()
