"""Golden files (tests/golden/): a text the code produces, recorded and reviewed once.

A test compares what the code produces now with its recorded text and fails with the first
lines of the difference. When a change is meant, regenerate and read the diff before
committing:  UPDATE_GOLDEN=1 make unit
"""
import difflib
import os
from pathlib import Path

FOLDER = Path(__file__).parent.parent / "golden"


def check(name: str, got: str, what: str) -> None:
    """`got` must equal tests/golden/<name> (rewritten instead when UPDATE_GOLDEN is set)."""
    path = FOLDER / name
    if os.environ.get("UPDATE_GOLDEN"):
        FOLDER.mkdir(exist_ok=True)
        path.write_text(got)
    want = path.read_text()
    if got != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                 "recorded", "now", n=2))[:80])
        raise AssertionError(f"{what} changed (UPDATE_GOLDEN=1 to accept):\n{diff}")
