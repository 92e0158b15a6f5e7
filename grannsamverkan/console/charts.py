"""Bar charts drawn as inline SVG on the server: no script, a few kilobytes, sharp in print.

This module only computes geometry (display-ready numbers); ``console/_chart.html`` draws it.
A chart is never the only copy of its numbers: each page shows the same counts in a table,
and the SVG carries a title and a written summary for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Okabe & Ito's colour-blind-safe set, then two more; text never sits on these colours.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#6a3d9a",
    "#7a7a7a",
    "#000000",
)
WIDTH = 720
HEIGHT = 300
# Room below the bars for two lines of month labels at the phone size (see console.css).
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 14, 62
BAR_SHARE = 0.7  # of each group's slot; the rest is the gap between bars
MAX_TICKS = 5


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class GroupLabel:
    x: float
    lines: list[str]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    groups: list[GroupLabel]
    legend: list[LegendEntry]


def tick_step(largest: int) -> int:
    """A round step (1, 2, 5, 10, 20, ...) giving at most MAX_TICKS steps up to ``largest``."""
    if largest <= MAX_TICKS:
        return 1
    magnitude = 10 ** math.floor(math.log10(largest / MAX_TICKS))
    for factor in (1, 2, 5, 10):
        if largest / (factor * magnitude) <= MAX_TICKS:
            return factor * magnitude
    return 10 * magnitude


def stacked_bar_chart(
    *,
    title: str,
    summary: str,
    groups: Sequence[tuple[str, Sequence[str]]],
    series: Sequence[tuple[str, str, Sequence[int]]],
    colours: Mapping[str, str],
) -> BarChart:
    """One bar per group (full name, axis label lines), stacked by series (key, label, values)."""
    totals = [sum(values[index] for _k, _l, values in series) for index in range(len(groups))]
    step = tick_step(max(totals, default=0))
    top_value = max(step, math.ceil(max(totals, default=0) / step) * step)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height
    slot = plot_width / max(len(groups), 1)
    scale = plot_height / top_value

    bars = []
    for index, (group_name, _axis_label) in enumerate(groups):
        x = LEFT + index * slot + slot * (1 - BAR_SHARE) / 2
        stacked = 0
        for key, label, values in series:
            value = values[index]
            if not value:
                continue
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(bottom - (stacked + value) * scale, 1),
                    width=round(slot * BAR_SHARE, 1),
                    height=round(value * scale, 1),
                    colour=colours[key],
                    tooltip=f"{label}, {group_name}: {value}",
                )
            )
            stacked += value
    return BarChart(
        title=title,
        summary=summary,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_bottom=bottom,
        bars=bars,
        ticks=[
            Tick(y=round(bottom - value * scale, 1), label=str(value))
            for value in range(0, top_value + 1, step)
        ],
        groups=[
            GroupLabel(x=round(LEFT + (index + 0.5) * slot, 1), lines=list(axis_lines))
            for index, (_name, axis_lines) in enumerate(groups)
        ],
        legend=[LegendEntry(label, colours[key]) for key, label, values in series if any(values)],
    )
