"""Figures, their table, and the results folder (JSON and a PNG plot; not committed).

A Figure is one measured quantity: its samples (several runs), the median shown with min and
max, and optionally the same run's baseline and the goal it is held against.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


@dataclass
class Figure:
    bench: str                 # which benchmark (1..6 and a short name)
    what: str                  # the quantity, with its conditions
    unit: str
    samples: list[float]
    baseline: list[float] = field(default_factory=list)   # same runs, the reference's
    baseline_name: str = ""
    goal: str = ""             # e.g. "< 5 s", "ratio >= 1.0"
    met: bool | None = None    # None: no goal, or not judged
    note: str = ""
    x: float | None = None     # with series: a point of a curve (a size) in the picture
    series: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def ratio(self) -> float | None:
        """Median of the per-run ratios figure/baseline (each within one run; the first
        samples pair with the baseline's runs when there are fewer of these)."""
        if not self.baseline:
            return None
        pairs = zip(self.samples[:len(self.baseline)], self.baseline, strict=True)
        return statistics.median(a / b for a, b in pairs if b)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(samples: list[float]) -> str:
    if not samples:
        return ""
    return (f"{_fmt(statistics.median(samples))} "
            f"[{_fmt(min(samples))}..{_fmt(max(samples))}]")


def _ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1e}"


def table(figures: list[Figure]) -> str:
    rows = [("#", "measured", "median [min..max]", "baseline median [min..max]", "ratio",
             "goal", "met")]
    for f in figures:
        ratio = f.ratio
        rows.append((f.bench, f"{f.what} ({f.unit})", _spread(f.samples),
                     f"{f.baseline_name}: {_spread(f.baseline)}" if f.baseline else "",
                     _ratio_text(ratio), f.goal,
                     {True: "yes", False: "NO", None: ""}[f.met]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {f.bench}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {"cpus": os.cpu_count(), "memory_mib": mem, "kernel": platform.release(),
            "python": platform.python_version(), "datapath": "netdev (userspace)"}


def save(figures: list[Figure], folder: str = RESULTS) -> tuple[str, str | None]:
    """Writes bench-<time>.json and .png (the PNG only if matplotlib is there)."""
    os.makedirs(folder, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(folder, f"bench-{stamp}")
    with open(base + ".json", "w") as fh:
        json.dump({"machine": machine(), "time": stamp,
                   "figures": [asdict(f) | {"median": f.median, "ratio": f.ratio}
                               for f in figures]}, fh, indent=1)
    return base + ".json", plot(figures, base + ".png")


def plot(figures: list[Figure], path: str) -> str | None:
    """One panel per figure (median with min and max, beside its baseline), except figures
    that are points of a series (a cost against a size): one curve per series."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    singles, series = panels(figures)
    panels_n = len(singles) + len(series)
    fig, axes = plt.subplots(panels_n, 1, figsize=(9, 1.1 * len(singles) + 2.6 * len(series) + 1),
                             squeeze=False, gridspec_kw={"height_ratios": [1] * len(singles)
                                                         + [2.4] * len(series)})
    for ax, f in zip(axes[:len(singles), 0], singles, strict=True):
        _bars(ax, f)
    for ax, (name, points) in zip(axes[len(singles):, 0], series.items(), strict=True):
        xs = [f.x for f in points]
        meds = [f.median for f in points]
        ax.errorbar(xs, meds, yerr=[[m - min(f.samples) for m, f in zip(meds, points,
                                                                          strict=True)],
                                    [max(f.samples) - m for m, f in zip(meds, points,
                                                                          strict=True)]],
                    marker="o", capsize=3)
        ax.set_title(name, fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
        ax.set_xticks(xs)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def panels(figures: list[Figure]) -> tuple[list[Figure], dict[str, list[Figure]]]:
    """The picture's panels: figures alone, and series (name -> its points by size)."""
    series: dict[str, list[Figure]] = {}
    for f in figures:
        if f.series and f.x is not None:
            series.setdefault(f.series, []).append(f)
    for points in series.values():
        points.sort(key=lambda f: f.x)
    return [f for f in figures if not (f.series and f.x is not None)], series


def _bars(ax, f: Figure) -> None:
    labels, values, errs = [f"{f.bench}"], [f.median], [(f.median - min(f.samples),
                                                       max(f.samples) - f.median)]
    if f.baseline:
        labels.append(f.baseline_name)
        med = statistics.median(f.baseline)
        values.append(med)
        errs.append((med - min(f.baseline), max(f.baseline) - med))
    ax.barh(labels, values, xerr=[[e[0] for e in errs], [e[1] for e in errs]],
            color=["tab:blue", "tab:gray"][:len(values)])
    ax.set_title(f"{f.what} ({f.unit})", fontsize=8, loc="left")
    ax.tick_params(labelsize=7)
