"""Charts as SVG text, drawn with matplotlib (no pyplot, no display, no network).

Text is drawn as paths (``svg.fonttype = path``), so a chart looks the same in every browser and in
the PDF without the reader having any font; Chinese labels are drawn in Noto Sans CJK SC, which the
project's install brings (``publish.cjk_font``): glyphs missing from DejaVu Sans fall back to it.
Labels are plain text, never mathtext (``text.parse_math`` off): a company named ``$…$`` is drawn
as written. Charts carry no drawn title (the page around them names them); the title is the SVG's
``<title>``.
Output is deterministic (fixed hash salt, no date), so publishing twice gives identical files.
"""

from __future__ import annotations

import io
from typing import Sequence

# Colours: one per category, and the total (colour-blind safe, Okabe–Ito based).
CATEGORY_COLOURS = {"total": "#1d2430", "G": "#0072B2", "F": "#E69F00", "P": "#009E73"}
CATEGORY_NAMES = {"total": "Total", "G": "Governance", "F": "Freedom of expression", "P": "Privacy"}


def _rc(salt: str) -> dict:
    from .cjk_font import matplotlib_families

    return {
        "font.family": list(matplotlib_families()),  # CJK glyphs fall back to Noto Sans CJK SC
        "font.size": 10,
        "text.parse_math": False,  # labels are plain text: "$x^$" in a company name is no formula
        "svg.fonttype": "path",
        "svg.hashsalt": salt,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.spines.left": False,
        "axes.edgecolor": "#9aa3b2",
        "axes.labelcolor": "#1d2430",
        "xtick.color": "#5a6475",
        "ytick.color": "#1d2430",
        "figure.facecolor": "white",
        "axes.facecolor": "white",
    }


def _figure(width_in: float, height_in: float):
    """A figure outside pyplot: no global state, no GUI backend, safe in threads and workers."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    return fig, fig.subplots()


def _svg(fig, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Title": title, "Creator": "rightsindex"})
    text = buf.getvalue()
    # drop the XML prolog and DOCTYPE so the SVG can also be inlined in HTML
    start = text.find("<svg")
    return text[start:] if start > 0 else text


def _fmt(v: float | None) -> str:
    from .scores import display_score

    return display_score(v)


def grouped_bars(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    salt: str,
    width_in: float = 7.5,
) -> str:
    """Horizontal grouped bars, 0–100, one group per label, a value label at every bar end.

    ``series`` is ``[(key, values)]`` with ``key`` in ``total``, ``G``, ``F``, ``P``; N/A values are
    drawn as an "N/A" label without a bar.
    """
    import matplotlib

    n, k = len(groups), len(series)
    bar_h = 0.8 / max(k, 1)
    with matplotlib.rc_context(_rc(salt)):
        fig, ax = _figure(width_in, 0.45 + n * (0.22 * k + 0.3))
        for si, (key, values) in enumerate(series):
            ys = [gi + (si - (k - 1) / 2) * bar_h for gi in range(n)]
            vals = [0.0 if v is None else v for v in values]
            ax.barh(ys, vals, height=bar_h * 0.88, color=CATEGORY_COLOURS.get(key, "#888"), label=CATEGORY_NAMES.get(key, key), zorder=2)
            for y, v in zip(ys, values):
                ax.text((v or 0) + 1, y, _fmt(v), va="center", ha="left", fontsize=8.5 if key != "total" else 9,
                        fontweight="bold" if key == "total" else "normal", color="#1d2430", zorder=3)
        ax.set_yticks(range(n))
        ax.set_yticklabels(groups)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0, labelsize=10)
        ax.set_xlim(0, 108)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.xaxis.grid(True, color="#e3e7ee", zorder=0)
        ax.set_xlabel("Score (0–100)")
        if k > 1:
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=k, frameon=False, fontsize=9,
                      handlelength=1.2, borderaxespad=0.2)
        fig.tight_layout()
        return _svg(fig, title)


def ranking_chart(companies: Sequence[dict], *, title: str) -> str:
    """The ranking: total, G, F, P per company (``companies`` as in ``scores.json``, best first)."""
    labels = [c["label"] or c["id"] for c in companies]
    series = [
        ("total", [c["total"] for c in companies]),
        *((cat, [c["categories"].get(cat) for c in companies]) for cat in ("G", "F", "P")),
    ]
    return grouped_bars(labels, series, title=title, salt="ranking", width_in=9.5)


def categories_chart(company: dict, *, title: str, salt: str) -> str:
    """One company: total, Governance, Freedom of expression, Privacy as labelled bars."""
    keys = ["total", "G", "F", "P"]
    values = [company["total"], *(company["categories"].get(c) for c in ("G", "F", "P"))]
    import matplotlib

    with matplotlib.rc_context(_rc(salt)):
        fig, ax = _figure(6.0, 2.1)
        ys = range(len(keys))
        ax.barh(list(ys), [100] * len(keys), height=0.62, color="#eef1f6", zorder=1)
        ax.barh(list(ys), [0 if v is None else v for v in values], height=0.62,
                color=[CATEGORY_COLOURS[k] for k in keys], zorder=2)
        for y, v, key in zip(ys, values, keys):
            ax.text(101.5, y, _fmt(v), va="center", ha="left", fontsize=10,
                    fontweight="bold" if key == "total" else "normal", color="#1d2430")
        ax.set_yticks(list(ys))
        ax.set_yticklabels([CATEGORY_NAMES[k] for k in keys])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 112)
        ax.set_xticks([0, 50, 100])
        fig.tight_layout()
        return _svg(fig, title)


def services_chart(level_totals: dict[str, dict], *, title: str, salt: str) -> str:
    """One company's per-service view: total, G, F, P for each service."""
    names = list(level_totals)
    series = [(key, [level_totals[n].get(key) for n in names]) for key in ("total", "G", "F", "P")]
    return grouped_bars(names, series, title=title, salt=salt, width_in=6.8)


def over_time(
    dates: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    salt: str,
    width_in: float = 7.5,
    colours: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """Scores over time: one line per series (``total``, ``G``, ``F``, ``P`` or any label), a dot
    and its value at every date; dates on a time axis. N/A breaks the line."""
    import matplotlib
    from datetime import date as _date

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    palette = ["#1d2430", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
    xs = [_date.fromisoformat(d) for d in dates]
    with matplotlib.rc_context(_rc(salt)):
        fig, ax = _figure(width_in, 3.0)
        for i, (key, values) in enumerate(series):
            colour = (colours or {}).get(key) or CATEGORY_COLOURS.get(key) or palette[i % len(palette)]
            name = (names or {}).get(key) or CATEGORY_NAMES.get(key, key)
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=2.2 if key == "total" else 1.6, color=colour, label=name,
                    drawstyle="steps-post", zorder=3 if key == "total" else 2)
            for x, v in zip(xs, values):
                if v is not None and len(xs) <= 12:
                    ax.annotate(_fmt(v), (x, v), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7.5, color=colour)
        ax.set_ylim(0, 105)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.yaxis.grid(True, color="#e3e7ee", zorder=0)
        ax.set_ylabel("Score (0–100)")
        if len(xs) > 1:
            loc = AutoDateLocator()
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
        else:
            ax.set_xticks(xs)
            ax.set_xticklabels([d for d in dates])
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(len(series), 4), frameon=False, fontsize=9,
                  handlelength=1.4, borderaxespad=0.2)
        fig.tight_layout()
        return _svg(fig, title)
