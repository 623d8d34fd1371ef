"""The report page's chart as inline SVG, drawn on the server: the page prints as it is, with
no script, and shows the same lines as the PDF."""

from ..formatting import percent
from ..months import month_label
from .figures import BASES
from .text import status_text

WIDTH, HEIGHT, LEFT, BOTTOM = 640, 220, 36, 24
COLOURS = {"customers": "#1f538d", "bills": "#a3480b", "vnd": "#2e7d32", "target": "#6e6e6e"}
# Bars by status; the status word stands beside each bar, so colour is never the only sign.
STATUS_COLOURS = {"met": "#2e7d32", "behind": "#b26a00", "miss": "#b3261e", None: "#6e6e6e"}
BAR_LABEL, BAR_HEIGHT, BAR_GAP = 200, 14, 6


def chart(report):
    """{lines, grid, labels, width, height} for templates/adoption/report.html, or None
    when no month has a figure (the page then says so instead of drawing an empty axis)."""
    values = [v for s in report.series.values() for v in s if v is not None]
    values += [t for t in report.targets if t is not None]
    if not values:
        return None
    top = min(100.0, (int(max(values)) // 10 + 1) * 10)
    step = (WIDTH - LEFT - 8) / max(len(report.months) - 1, 1)
    plot = HEIGHT - BOTTOM

    # Coordinates are written as text here: a template would localise a float ("95,1"),
    # which SVG does not read.
    def xy(i, value):
        return f"{LEFT + i * step:.1f}", f"{plot - plot * value / top + 4:.1f}"

    lines = []
    named = [(key, str(label), report.series[key]) for key, _f, label in BASES]
    named.append(("target", "target", report.targets))
    for key, label, series in named:
        runs, dots, run = [], [], []
        for i, value in enumerate([*series, None]):
            if value is not None:
                run.append(xy(i, value))
            elif run:
                # A month alone between gaps is a dot: a one-point line would not show.
                if len(run) == 1:
                    dots.append(run[0])
                else:
                    runs.append(" ".join("{},{}".format(*p) for p in run))
                run = []
        lines.append(
            {"key": key, "label": label, "colour": COLOURS[key], "runs": runs, "dots": dots}
        )
    grid = [{"y": xy(0, tick)[1], "label": f"{tick}%"} for tick in range(0, int(top) + 1, 10)]
    every = 1 if len(report.months) <= 12 else 3
    labels = [
        {"x": xy(i, 0)[0], "label": month_label(m)}
        for i, m in enumerate(report.months)
        if i % every == 0
    ]
    return {
        "lines": lines,
        "grid": grid,
        "labels": labels,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "axis_y": HEIGHT - 6,
    }


def bars(report):
    """One bar per district (or commune): its customer rate, its target as a tick, coloured
    by status; None when no part has a figure (or there are none: a commune's report)."""
    if all(row["rate"] is None for row in report.rows):
        return None
    scale = (WIDTH - BAR_LABEL - 110) / 100
    items = []
    for i, row in enumerate(report.rows):
        y = i * (BAR_HEIGHT + BAR_GAP)
        target = row["target"]
        items.append(
            {
                "name": row["name"],
                "y": y,
                "text_y": y + BAR_HEIGHT - 3,
                "width": f"{(row['rate'] or 0) * scale:.1f}",
                "value_x": f"{BAR_LABEL + (row['rate'] or 0) * scale + 4:.1f}",
                "target_x": None if target is None else f"{BAR_LABEL + target * scale:.1f}",
                "colour": STATUS_COLOURS[row["status"]],
                "label": f"{percent(row['rate'])} {status_text(row['status'])}",
            }
        )
    return {
        "items": items,
        "label_x": BAR_LABEL - 6,
        "left": BAR_LABEL,
        "width": WIDTH,
        "height": len(items) * (BAR_HEIGHT + BAR_GAP),
        "bar_height": BAR_HEIGHT,
    }
