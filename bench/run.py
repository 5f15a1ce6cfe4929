"""`make bench`: run the benchmarks, print one table, save it as JSON and PNG.

    python -m bench.run [--only compute,program,converge,latency,flood,dataplane,rate,
                                firewall,api,scale]
                        [--quick]

Run as root (all but `compute` start emulated clouds). Figures are medians of several runs
with min and max, each beside its baseline measured in the same run; nothing here is a test:
goals are printed as met or not, never asserted.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback

from bench import report

BENCHES = ("program", "converge", "latency", "compute", "flood", "dataplane", "rate",
           "firewall", "api", "scale")


def _module(name: str):
    if name == "compute":
        from bench import compute as mod
    elif name == "program":
        from bench import program as mod
    elif name in ("converge", "latency", "scale"):
        from bench import convergence as mod
    elif name == "flood":
        from bench import flood as mod
    elif name == "rate":
        from bench import api_rate as mod
    elif name == "firewall":
        from bench import firewall as mod
    elif name == "api":
        from bench import api_scale as mod
    else:
        from bench import dataplane as mod
    return mod


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHES),
                        help="comma-separated subset of " + ", ".join(BENCHES))
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes")
    args = parser.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    figures: list[report.Figure] = []
    failed = []
    for name in chosen:
        t0 = time.monotonic()
        print(f"*** {name} ...", flush=True)
        mod = _module(name)
        runner = getattr(mod, "run_" + name, None) or mod.run
        try:
            figures += runner(quick=args.quick)
        except Exception:  # noqa: BLE001 - report it, go on with the others
            traceback.print_exc()
            failed.append(name)
        print(f"*** {name} {'FAILED' if name in failed else 'done'} in "
              f"{time.monotonic() - t0:.0f} s", flush=True)
    print()
    print(report.table(figures))
    json_path, png_path = report.save(figures)
    print(f"\nsaved {json_path}" + (f" and {png_path}" if png_path else
                                    " (no PNG: matplotlib is not installed)"))
    if failed:
        print(f"FAILED: {', '.join(failed)} (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
