"""The report page's chart as inline SVG, drawn on the server: the page prints as it is, with
no script, and shows the same lines as the PDF."""

from ..months import month_label
from .figures import BASES

WIDTH, HEIGHT, LEFT, BOTTOM = 640, 220, 36, 24
COLOURS = {"customers": "#1f538d", "bills": "#c45a11", "vnd": "#2e7d32", "target": "#6e6e6e"}


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
