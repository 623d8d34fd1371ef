"""The map page's figures: every commune the user's branches serve at the last month, placed at
its coordinates (AdminArea.latitude/longitude, from the area dataset), sized by its customers
and coloured by its status against its branch's target.

The map is drawn as SVG in the page from these positions: no map tiles from elsewhere (the
CSP stays 'self'). Communes without coordinates are left off the drawing and kept in the table.
"""

from math import cos, radians, sqrt

from django.urls import reverse

from . import metrics
from .area_labels import area_labels, branch_label
from .models import AdminArea
from .outlook import grouped, history_start, outlook
from .svg_chart import coordinate
from .target_status import LABELS, by_status
from .targets import Targets

WIDTH, HEIGHT, PAD = 600, 520, 24
MIN_RADIUS, MAX_RADIUS = 3.0, 16.0


def _project(points):
    """{id: (x, y)} in the drawing for {id: (latitude, longitude)}, north up, the east-west
    scale shrunk by cos(latitude) so the province keeps its shape."""
    if not points:
        return {}
    lats = [lat for lat, _lon in points.values()]
    lons = [lon for _lat, lon in points.values()]
    squeeze = cos(radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * squeeze, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    return {
        pk: (
            coordinate(PAD + (lon - min(lons)) * squeeze * scale),
            coordinate(PAD + (max(lats) - lat) * scale),
        )
        for pk, (lat, lon) in points.items()
    }


def _unit_rows(branches, scope):
    """One row per (branch, commune) that has figures at the last month, with its outlook."""
    rows = metrics.monthly_rates(
        start=history_start(scope.end),
        end=scope.end,
        group="commune",
        branch_ids=[b.pk for b in branches],
        customer_types=scope.customer_types,
        view=scope.view,
    )
    by_branch = {b.pk: b for b in branches}
    targets = {}
    result = []
    for (branch_id, commune_id), unit in grouped(rows, ("branch_id", "commune_id")).items():
        if unit[-1]["period"] != scope.end or branch_id not in by_branch:
            continue
        branch = by_branch[branch_id]
        if branch.company_id not in targets:
            targets[branch.company_id] = Targets(branch.company_id)
        seen = outlook(unit, scope.end, targets[branch.company_id].covering(scope.end, branch_id))
        result.append(
            {
                "branch_id": branch_id,
                "commune_id": commune_id,
                "customers": unit[-1]["active_customers"],
                "rate": seen.rate,
                "status": seen.status,
                "gap": seen.gap,
            }
        )
    return result


def map_summary(scope, branches):
    """Everything the map page shows (plain data, kept by adoption.dashboard_cache)."""
    units = _unit_rows(branches, scope)
    areas = AdminArea.objects.filter(pk__in={u["commune_id"] for u in units}).select_related(
        "parent"
    )
    areas = {a.pk: a for a in areas}
    names = area_labels(areas.values())
    by_branch = {b.pk: b for b in branches}
    labels = {pk: branch_label(b, scope.end) for pk, b in by_branch.items()}
    for unit in units:
        branch = by_branch[unit["branch_id"]]
        unit.update(
            name=names[unit["commune_id"]],
            branch=labels[branch.pk],
            label=LABELS.get(unit["status"], ""),
            url=reverse("dashboard:commune", args=[branch.code, unit["commune_id"]]),
        )
    placed = {
        u["commune_id"]: (areas[u["commune_id"]].latitude, areas[u["commune_id"]].longitude)
        for u in units
        if areas[u["commune_id"]].latitude is not None
        and areas[u["commune_id"]].longitude is not None
    }
    positions = _project(placed)
    most = max((u["customers"] for u in units), default=0) or 1
    circles = [
        {
            **unit,
            "x": positions[unit["commune_id"]][0],
            "y": positions[unit["commune_id"]][1],
            "r": coordinate(
                MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * sqrt(unit["customers"] / most)
            ),
        }
        for unit in units
        if unit["commune_id"] in positions
    ]
    circles.sort(key=lambda c: -float(c["r"]))  # small circles drawn last, over the big ones
    return {
        "rows": by_status(units),
        "circles": circles,
        "unplaced": len(units) - len(circles),
        "width": WIDTH,
        "height": HEIGHT,
    }
