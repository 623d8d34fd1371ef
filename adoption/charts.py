"""Chart shapes: {"labels": [...], "datasets": [...]} built from rows already read, the same for
a page's embedded data and the chart's JSON (adoption.summaries). Every series has a value
(None or 0) for every month label. Nothing here queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from chartjs.colors import next_color
from django.utils.translation import gettext_lazy as _

from .area_labels import branch_label
from .area_rows import rates_by_key, rounded
from .choices import ChannelKind
from .months import month_label, month_start

# Okabe-Ito, then Tableau: distinguishable for colour-blind readers, in print and on a phone.
PALETTE = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (140, 86, 75),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]
TOTAL_STYLE = {
    "borderColor": "rgb(29, 39, 51)",
    "backgroundColor": "rgb(29, 39, 51)",
    "borderWidth": 4,
    "order": -1,
}
TARGET_STYLE = {
    "borderColor": "rgb(179, 38, 30)",
    "backgroundColor": "rgb(179, 38, 30)",
    "borderDash": [6, 4],
    "borderWidth": 2,
    "pointRadius": 0,
    "stepped": "before",
}
OUTREACH_STYLE = {
    "type": "bar",
    "yAxisID": "outreach",
    "borderColor": "rgba(11, 92, 173, 0.35)",
    "backgroundColor": "rgba(11, 92, 173, 0.35)",
    "order": 1,
}
MIX_KEYS = ("kind", "partner")
MEASURES = ("payments", "amount")


@dataclass
class Series:
    label: str
    data: list
    style: dict = field(default_factory=dict)


@dataclass
class Chart:
    labels: list
    series: list

    def as_dict(self):
        """The chart as the JSON views send it."""
        colors = next_color(PALETTE)
        datasets = []
        for series in self.series:
            if series.style is TARGET_STYLE and all(v is None for v in series.data):
                continue  # no target line where no target applies
            color = "rgb({}, {}, {})".format(*next(colors))
            style = {"borderColor": color, "backgroundColor": color, **series.style}
            datasets.append({"label": str(series.label), "data": series.data, **style})
        return {"labels": self.labels, "datasets": datasets}


def _target(months, target_for, rate_field):
    """The target line, on the customer base only: a customer target drawn beside the bills
    or VND share would be read as theirs."""
    if rate_field != "adoption_rate":
        return []
    return [Series(_("Target"), [target_for(m) for m in months], TARGET_STYLE)]


def adoption_chart(
    branches, months, branch_rows, company_rows, targets, on, rate_field="adoption_rate"
):
    """Adoption rate per district, the company line bold, the target dashed. Branches are
    named as they were on `on`; rate_field is the base drawn (adoption.outlook.BASES)."""
    by_branch = rate_series(branch_rows, "branch_id", months, rate_field)
    company = rate_series(company_rows, None, months, rate_field).get(None, [None] * len(months))
    series = [
        Series(branch_label(b, on), by_branch.get(b.pk, [None] * len(months))) for b in branches
    ]
    series.append(Series(_("Whole company"), company, TOTAL_STYLE))
    series += _target(months, targets.for_month, rate_field)
    return Chart([month_label(m) for m in months], series)


def branch_chart(
    branch,
    months,
    commune_rows,
    branch_rows,
    targets,
    names,
    outreach_counts,
    on,
    rate_field="adoption_rate",
):
    """Adoption rate per commune of one branch, the branch bold, target dashed, outreach bars."""
    by_commune = rate_series(commune_rows, "commune_id", months, rate_field)
    series = [
        Series(names[pk], data)
        for pk, data in sorted(by_commune.items(), key=lambda item: names[item[0]])
    ]
    whole = rate_series(branch_rows, "branch_id", months, rate_field).get(
        branch.pk, [None] * len(months)
    )
    series.append(Series(branch_label(branch, on), whole, TOTAL_STYLE))
    series += _target(months, lambda m: targets.for_month(m, branch.pk), rate_field)
    series.append(
        Series(
            _("Outreach activities"),
            [outreach_counts.get(m, 0) for m in months],
            OUTREACH_STYLE,
        )
    )
    return Chart([month_label(m) for m in months], series)


def channel_mix_chart(months, mix_rows, by, payee_of=None):
    """Payments per month stacked by channel kind (mix_rows by kind) or partner (by channel)."""
    totals = defaultdict(lambda: defaultdict(int))
    names = {}
    for row in mix_rows:
        if by == "kind":
            key = row["kind"]
            names[key] = ChannelKind(key).label
        else:
            payee = payee_of[row["channel_id"]]
            key = payee.key
            names[key] = payee.name
        totals[key][row["period"]] += row["payments"]
    if by == "kind":
        order = [kind for kind in ChannelKind.values if kind in totals]
    else:
        order = sorted(totals, key=lambda key: str(names[key]))
    series = [
        Series(names[key], [totals[key].get(m, 0) for m in months], {"stack": "mix"})
        for key in order
    ]
    return Chart([month_label(m) for m in months], series)


def partner_chart(months, mix_rows, payee_of, measure):
    """Payments (or VND) per partner and month, from channel_mix(by="channel") rows."""
    totals = defaultdict(lambda: defaultdict(int))
    for row in mix_rows:
        totals[payee_of[row["channel_id"]].key][row["period"]] += row[measure]
    payee_list = {p.key: p for p in payee_of.values()}
    series = [
        Series(payee_list[key].name, [totals[key].get(m, 0) for m in months])
        for key in sorted(totals, key=lambda key: payee_list[key].name)
    ]
    return Chart([month_label(m) for m in months], series)


def outreach_per_month(activities):
    """{month: number of activities} from outreach activities already read."""
    counts = defaultdict(int)
    for activity in activities:
        counts[month_start(activity.date)] += 1
    return counts


def rate_series(rows, key, months, rate_field="adoption_rate"):
    """{key: [rate on this base or None for each month]}: every series has every month."""
    by_key = rates_by_key(rows, key)
    return {
        k: [rounded((periods.get(m) or {}).get(rate_field), 2) for m in months]
        for k, periods in by_key.items()
    }
