"""Remove what a crashed or interrupted emulated cloud left behind (from its state file only).

    python -m mininet_topos.cleanup --all          every cloud under /run/neutron-overlay
    python -m mininet_topos.cleanup RUNDIR ...     the given run directories
"""
from __future__ import annotations

import argparse
import sys

from mininet_topos.state import State, leftover_rundirs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rundirs", nargs="*")
    parser.add_argument("--all", action="store_true", help="every recorded cloud")
    args = parser.parse_args(argv)
    rundirs = args.rundirs or (leftover_rundirs() if args.all else [])
    if not rundirs:
        print("nothing to clean up")
        return 0
    for rundir in rundirs:
        for line in State(rundir).cleanup():
            print(f"{rundir}: {line}")
        print(f"{rundir}: removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
