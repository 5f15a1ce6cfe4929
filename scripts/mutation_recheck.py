"""Forget the verdicts of mutants that were not killed, so that the next `mutmut run` checks
them again against the tests as they are now (killed ones stay killed: tests only grow).

    python scripts/mutation_recheck.py [MODULE ...] && .venv/bin/mutmut run --max-children 2

MODULE: only mutants of these modules (prefixes of mutmut's names, e.g. cloud.ops).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from mutation_report import KILLED  # noqa: E402


def main(argv=None) -> int:
    prefixes = tuple(sys.argv[1:] if argv is None else argv)
    reset = 0
    for folder, _, files in os.walk("mutants"):
        for name in files:
            if name.endswith(".py.meta"):
                path = os.path.join(folder, name)
                with open(path) as fh:
                    meta = json.load(fh)
                codes = meta["exit_code_by_key"]
                for key, code in codes.items():
                    if code not in KILLED and code is not None and \
                            (not prefixes or key.startswith(prefixes)):
                        codes[key] = None
                        reset += 1
                with open(path, "w") as fh:
                    json.dump(meta, fh)
    print(f"{reset} mutants to check again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
