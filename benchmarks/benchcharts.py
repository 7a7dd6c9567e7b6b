"""PNG charts of a ``bench.py`` run: horizontal bars, one file per section.

Importing this module imports matplotlib (Agg backend, no display): ``bench.py`` imports it
only when charts are wanted, and skips them with a note when matplotlib is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from benchlib import KiB, human

WIDTH_INCHES = 8.0  # with DPI 150: 1200 px, text still readable scaled down to 800 px
DPI = 150
BAR_INCHES = 0.42
KINDS = ("sync", "async")
NOTE_SHARE_PER_CHAR = 0.016  # share of a plot's width one character of a bar note takes
COLORS = (  # (key prefix, colour), first match: our transport in blues, httpx's in oranges
    ("axios020", "#93c5fd"),
    ("axios_httpx", "#ea580c"),  # axios_python on httpx's transport
    ("axios", "#1d4ed8"),  # axios_python on its own transport
    ("httpx_own", "#60a5fa"),  # httpx with our transport
    ("transport", "#bfdbfe"),  # our transport alone
    ("httpx", "#f59e0b"),
    ("requests", "#10b981"),
    ("aiohttp", "#8b5cf6"),
    ("raw", "#4b5563"),
)


@dataclass
class Bar:
    label: str
    value: float
    key: str
    note: str  # printed at the end of the bar


@dataclass
class Panel:
    title: str
    xlabel: str
    bars: list[Bar]


def colour(key: str) -> str:
    return next(c for prefix, c in COLORS if key.startswith(prefix))


def label(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def subtitle(results: dict[str, Any]) -> str:
    m = results["machine"]
    load = (results.get("load_average") or {}).get("start")
    return (
        f"{results['date'][:16].replace('T', ' ')}  ·  {m['cpu']}, {m['cores']} cores, "
        f"{m['python']}  ·  commit {results['commit'] or 'unknown'}"
        + (f"  ·  load {load[0]:.2f}" if load else "")
    )


def transports_note(results: dict[str, Any]) -> str:
    """A second footer line when an "own transport" client ran on httpx's transport."""
    found = results.get("transports") or {}
    odd = [
        k for k in ("axios_sync", "axios_async") if k in found and "axios_python" not in found[k]
    ]
    return "".join(f"\n{k} ran on {found[k]}, not on axios_python's transport" for k in odd)


def draw(path: str, title: str, results: dict[str, Any], panels: list[Panel], foot: str) -> str:
    """Stack ``panels`` of horizontal bars in one figure, titled, with the run's subtitle."""
    foot += transports_note(results)
    heights = [len(p.bars) * BAR_INCHES + 0.9 for p in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(WIDTH_INCHES, sum(heights) + 1.3),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        bars = panel.bars
        y = range(len(bars))
        ax.barh(y, [b.value for b in bars], color=[colour(b.key) for b in bars], height=0.65)
        ax.set_yticks(list(y), [label(b.label) for b in bars], fontsize=9)
        ax.invert_yaxis()
        top = max((b.value for b in bars), default=1) or 1
        longest = max((len(b.note) for b in bars), default=0)  # room for the bar-end notes
        ax.set_xlim(0, top / max(0.4, 1 - NOTE_SHARE_PER_CHAR * longest))
        for index, bar in enumerate(bars):
            ax.text(bar.value + top * 0.01, index, bar.note, va="center", fontsize=8.5)
        ax.set_title(panel.title, fontsize=10.5, loc="left")
        ax.set_xlabel(panel.xlabel, fontsize=9)
        ax.tick_params(axis="x", labelsize=8.5)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(title, fontsize=12.5, fontweight="bold", x=0.01, ha="left")
    fig.text(0.01, 0.955 - 0.25 / fig.get_figheight(), subtitle(results), fontsize=8, ha="left")
    fig.text(0.01, 0.01, foot, fontsize=7.5, ha="left", color="#4b5563")
    extra = foot.count("\n") * 0.14 / fig.get_figheight()  # room for more footer lines
    fig.tight_layout(rect=(0, 0.03 + extra, 1, 0.93))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def rate_panels(section: dict[str, Any], unit: str, what: str) -> list[Panel]:
    """The sync and the async clients of a throughput section, one panel each."""
    panels = []
    for kind in KINDS:
        bars = []
        for key, row in section.items():
            if not isinstance(row, dict) or row.get("kind") != kind:
                continue
            note = f"{row['median']:,.0f} {unit}"
            if "vs_raw" in section:
                note += f"  ({section['vs_raw'][key]:.2f} of raw)"
            bars.append(Bar(row["label"], row["median"], key, note))
        panels.append(Panel(f"{kind}: {what}", f"{unit}, median (higher is better)", bars))
    return panels


def rate_chart(results: dict[str, Any], folder: str, section: str) -> str:
    """(a) or (b): MiB/s or req/s per client, sync and async panels."""
    p = results["params"]
    if section == "streaming":
        size = human(p["size"])
        name, unit, what = "bench-stream.png", "MiB/s", f"one {size} GET, counted chunk by chunk"
        title = f"Streaming a {size} body over loopback, chunk 64 KiB"
        extra = "raw = bare socket recv_into / asyncio sock_recv_into (the physical limit)"
    else:
        name, unit, what = "bench-small.png", "req/s", f"{p['gets']} GETs in sequence per sample"
        title = "Small GETs (13-byte body) on one reused client"
        extra = "axios-python 0.2.0 runs in a side process"
    return draw(
        os.path.join(folder, name),
        title,
        results,
        rate_panels(results[section], unit, what),
        f"median of {p['repeat']} sample(s) per client, clients alternating round-robin; {extra}",
    )


def bars(
    rows: dict[str, Any], value: Callable[[Any], float], note: Callable[[Any], str]
) -> list[Bar]:
    """One bar per client row (``rows`` keyed by client; other entries, such as the ratios,
    have no label and are passed over), its length and its note."""
    return [
        Bar(row["label"], value(row), key, note(row))
        for key, row in rows.items()
        if isinstance(row, dict) and "label" in row
    ]


def by_kind(rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The client rows of a section, split into sync and async (those that have any)."""
    groups = {kind: {k: r for k, r in rows.items() if r.get("kind") == kind} for kind in KINDS}
    return {kind: group for kind, group in groups.items() if group}


def rss_chart(results: dict[str, Any], folder: str) -> str:
    p = results["params"]
    big, buffered = human(p["size"]), human(p["buffered_size"])
    panels = []
    for kind, rows in by_kind(results["peak_rss"]).items():
        stream = bars(
            rows,
            lambda r: r["stream_kib"] / KiB,
            lambda r: (
                f"{r['stream_kib'] / KiB:.1f} MiB (1 MiB body: {r['baseline_kib'] / KiB:.1f})"
            ),
        )
        panels.append(
            Panel(
                f"{kind}: streaming {big}, flat whatever the size",
                "MiB, ru_maxrss (lower is better)",
                stream,
            )
        )
    for kind, rows in by_kind(results["peak_rss"]).items():
        whole = bars(
            rows,
            lambda r: r["buffered_kib"] / KiB,
            lambda r: (
                f"{r['buffered_kib'] / KiB:,.0f} MiB (+{r['buffered_growth_kib'] / KiB:,.0f})"
            ),
        )
        panels.append(
            Panel(
                f"{kind}: buffered get() of {buffered}, the body in memory plus copies",
                "MiB, ru_maxrss (reference: what buffering costs)",
                whole,
            )
        )
    return draw(
        os.path.join(folder, "bench-rss.png"),
        "Peak memory (RSS) of a fresh process per figure",
        results,
        panels,
        "each figure: the median of fresh processes started through /bin/sh; "
        "(+N) = growth over the same client streaming 1 MiB",
    )


def concurrent_chart(results: dict[str, Any], folder: str) -> str:
    p = results["params"]
    rows = results["concurrent"]
    rates = bars(rows, lambda r: r["median"], lambda r: f"{r['median']:,.0f} MiB/s")
    rss = bars(rows, lambda r: r["rss_kib"] / KiB, lambda r: f"{r['rss_kib'] / KiB:,.1f} MiB")
    what = f"{p['streams']} streams of {human(p['stream_size'])} at once"
    return draw(
        os.path.join(folder, "bench-concurrent.png"),
        f"{what} (asyncio.gather, one client)",
        results,
        [
            Panel("aggregate throughput", "MiB/s, median (higher is better)", rates),
            Panel("peak RSS of the process", "MiB, ru_maxrss, median (lower is better)", rss),
        ],
        f"median of {p['concurrent_repeat']} fresh process(es) per client; "
        f"pool of {p['streams']} connections for every client",
    )


CHARTS = {"peak_rss": rss_chart, "concurrent": concurrent_chart}


def draw_all(results: dict[str, Any], folder: str) -> list[str]:
    """One PNG per section present in ``results``; the paths written."""
    os.makedirs(folder, exist_ok=True)
    paths = [rate_chart(results, folder, s) for s in ("streaming", "small_gets") if s in results]
    return paths + [chart(results, folder) for s, chart in CHARTS.items() if s in results]
