"""Rate-over-time charts drawn on the server as SVG geometry (the commune page's charts).

Drawn as SVG in the page, they need no script and no outside resource (the CSP stays 'self'),
scale to a 360 px phone by their viewBox, and keep their legend outside the plot. The template
adoption/_svg_lines.html draws what line_chart returns; the table beside each chart carries
the same figures.
"""

from .months import month_label

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 8, 24
# At least 3:1 against the white background (WCAG 1.4.11).
COLOURS = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a")
MUTED = "#8a8a8a"
TARGET = "#c62828"


def _x(i, n):
    span = WIDTH - LEFT - RIGHT
    return coordinate(LEFT + (span * i / (n - 1) if n > 1 else span / 2))


def _y(value):
    return coordinate(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / 100.0))


def coordinate(value):
    """A coordinate as SVG text: a decimal point whatever the language (templates would write
    a Vietnamese decimal comma into a number)."""
    return f"{value:.1f}"


def _path(values):
    """An SVG path through the points that have a value; a missing month breaks the line."""
    parts, pen_down = [], False
    for i, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_x(i, len(values))},{_y(value)}")
        pen_down = True
    return " ".join(parts)


def _ticks(months):
    step = max(1, len(months) // 6)
    return [
        {"x": _x(i, len(months)), "label": month_label(m)}
        for i, m in enumerate(months)
        if i % step == 0
    ]


def line_chart(months, lines, highlight=None):
    """months: the x axis; lines: [(key, label, [value or None per month])] in percent.

    With `highlight`, that line is drawn in colour and the others grey behind it. A line keyed
    "target" is dashed red. With no value at all the chart is empty (the page says so).
    """
    drawn = []
    for index, (key, label, values) in enumerate(lines):
        if key == "target":
            colour, dash = TARGET, "6 4"
        elif highlight and key != highlight:
            colour, dash = MUTED, ""
        else:
            colour, dash = COLOURS[index % len(COLOURS)], ""
        drawn.append(
            {
                "key": key,
                "label": label,
                "d": _path(values),
                "colour": colour,
                "dash": dash,
                "front": key == highlight,
            }
        )
    # The highlighted line last, so it is drawn over the grey ones.
    drawn.sort(key=lambda line: line["front"])
    empty = not any(value is not None for _k, _l, values in lines for value in values)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "lines": drawn,
        "empty": empty or not months,
        "yticks": [{"y": _y(v), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)],
        "xticks": _ticks(months),
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
    }
