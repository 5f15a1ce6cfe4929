"""The score of the last `make mutate` (mutmut's results under mutants/), per module.

    python scripts/mutation_report.py [--survivors]

Score = killed (a test failed, or timed out) / every mutant checked; a mutant no test runs
counts against it, like a survivor. --survivors lists the surviving mutants by function,
for triage (`mutmut show NAME` prints one's diff).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

KILLED = {1, 3, 36, -24, 24, 152, 255}       # mutmut's exit codes for killed and timeout
NO_TESTS = {5, 33}


def load(root: str = "mutants") -> dict[str, dict[str, int | None]]:
    """module path -> {mutant name: exit code}."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py.meta"):
                path = os.path.join(folder, name)
                with open(path) as fh:
                    out[os.path.relpath(path, root)[:-5]] = json.load(fh)["exit_code_by_key"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true")
    args = parser.parse_args(argv)
    results = load()
    if not results:
        print("no results: run `make mutate` first", file=sys.stderr)
        return 1
    rows, totals = [], collections.Counter()
    for module, codes in sorted(results.items()):
        c = collections.Counter()
        for code in codes.values():
            c["killed" if code in KILLED else "no tests" if code in NO_TESTS
              else "survived" if code == 0 else "skipped" if code == 34
              else "unchecked" if code is None else "other"] += 1
        checked = c["killed"] + c["survived"] + c["no tests"] + c["other"]
        if checked:
            rows.append((module, checked, c["killed"], c["survived"], c["no tests"],
                         100 * c["killed"] / checked))
            totals.update(c)
    print(f"{'module':32} {'mutants':>8} {'killed':>7} {'survived':>9} {'no tests':>9} "
          f"{'score':>6}")
    for module, checked, killed, survived, none, score in rows:
        print(f"{module:32} {checked:8} {killed:7} {survived:9} {none:9} {score:5.1f}%")
    checked = totals["killed"] + totals["survived"] + totals["no tests"] + totals["other"]
    print(f"{'all':32} {checked:8} {totals['killed']:7} {totals['survived']:9} "
          f"{totals['no tests']:9} {100 * totals['killed'] / checked:5.1f}%")
    if args.survivors:
        for _, codes in sorted(results.items()):
            by_function = collections.Counter(name.rsplit("__mutmut_", 1)[0]
                                              for name, code in codes.items()
                                              if code == 0 or code in NO_TESTS)
            for function, count in by_function.most_common():
                print(f"  {count:4}  {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
