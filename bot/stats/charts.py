"""PNG charts with matplotlib's object-oriented API on the Agg backend (no pyplot, no global state).

matplotlib is imported inside each function, so a bot that never draws a chart never loads it (its
import costs tens of megabytes). Callers run these off the event loop on the one stats thread
(``bot.stats.offload``): drawing takes 50-150 ms of CPU. Colours are viridis/cividis, readable with every common colour
vision deficiency and in greyscale; every chart's figures are also given as text by the caller.
A chart is about 20-60 KB; ``render`` refuses anything over the attachment limit rather than let
Discord reject the message.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.privacy.service import ATTACHMENT_LIMIT
from bot.stats.heatmap import HeatMap
from bot.stats.results import WeekBar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DPI = 100
BAR = "#3b528b"  # viridis, dark blue
BAR_LIGHT = "#5ec962"  # viridis, green
GOAL = "#fde725"  # viridis, yellow (drawn with a dark edge)


class ChartTooLarge(RuntimeError):
    pass


def _figure(width: float, height: float, *, right: float = 0.98) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins rather than a layout engine: "constrained" layout doubles the CPU of a chart.
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(left=0.08, right=right, bottom=0.22, top=0.88)
    FigureCanvasAgg(figure)
    return figure


def render(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    data = buffer.getvalue()
    if len(data) > ATTACHMENT_LIMIT:
        raise ChartTooLarge(f"chart of {len(data)} bytes is over Discord's attachment limit")
    return data


def heatmap_png(heat: HeatMap, title: str) -> bytes:
    """One cell per local day (rows Monday…Sunday, columns weeks), minutes on the cividis scale."""
    import numpy as np
    from matplotlib import colormaps

    values = np.ma.masked_invalid(
        np.array([[np.nan if v is None else float(v) for v in row] for row in heat.cells], dtype=float)
    )
    cmap = colormaps["cividis"].with_extremes(bad="#ffffff")
    figure = _figure(8, 3.2, right=0.9)
    axes = figure.add_subplot()
    image = axes.imshow(values, cmap=cmap, aspect="auto", vmin=0, vmax=max(60, heat.max_minutes))
    axes.set_yticks(range(7), WEEKDAY_LABELS, fontsize=8)
    axes.set_xticks(range(heat.weeks), heat.week_labels, fontsize=8, rotation=45, ha="right")
    axes.set_xticks(np.arange(-0.5, heat.weeks, 1), minor=True)
    axes.set_yticks(np.arange(-0.5, 7, 1), minor=True)
    axes.grid(which="minor", color="#ffffff", linewidth=1.5)
    axes.tick_params(which="minor", length=0)
    for side in axes.spines.values():
        side.set_visible(False)
    axes.set_title(title, fontsize=10)
    bar = figure.colorbar(image, ax=axes, shrink=0.8, pad=0.02)
    bar.set_label("focus minutes", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return render(figure)


def weekly_png(weeks: Sequence[WeekBar], title: str, target_hours: float | None = None) -> bytes:
    """Focus hours per week, the current week last; the cooperative goal as a dashed line."""
    figure = _figure(8, 3.2)
    axes = figure.add_subplot()
    positions = list(range(len(weeks)))
    colours = [BAR] * (len(weeks) - 1) + [BAR_LIGHT] if weeks else []
    axes.bar(positions, [w.hours for w in weeks], color=colours, edgecolor="#222222", linewidth=0.5)
    if target_hours is not None and weeks:
        axes.axhline(target_hours, color="#222222", linestyle="--", linewidth=1)
        axes.annotate(f"goal {target_hours:g} h", (len(weeks) - 0.5, target_hours), fontsize=8, ha="right", va="bottom")
    axes.set_xticks(positions, [w.label for w in weeks], fontsize=8, rotation=45, ha="right")
    axes.set_ylabel("focus hours", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(title, fontsize=10)
    return render(figure)


def compare_png(this_week: Sequence[int], last_week: Sequence[int], title: str) -> bytes:
    """Focus hours per weekday: the reported week beside the week before it."""
    figure = _figure(8, 3.0)
    axes = figure.add_subplot()
    x = range(7)
    axes.bar([i - 0.2 for i in x], [m / 60 for m in last_week], width=0.4, color=BAR_LIGHT, label="week before")
    axes.bar([i + 0.2 for i in x], [m / 60 for m in this_week], width=0.4, color=BAR, label="last week", hatch="//")
    axes.set_xticks(list(x), WEEKDAY_LABELS, fontsize=8)
    axes.set_ylabel("focus hours", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False)
    axes.set_title(title, fontsize=10)
    return render(figure)
