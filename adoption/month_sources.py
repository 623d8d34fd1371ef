"""A company's month: the sources expected to deliver, what each delivered, and the partners'
control totals beside what was imported (docs/closing.md).

A payment belongs to the company its customer counted in that month, "as it was": the
customer's placement in force for the period, the branch serving that commune then, that
branch's company then — the rules the rollups follow (adoption.metrics.fill_sql), so a branch
that later moved to another company leaves its old months' arrivals with the old company.
"""

from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .formatting import vnd
from .models import (
    Branch,
    BranchTerritory,
    BranchVersion,
    ControlTotal,
    Customer,
    CustomerPlacement,
    Partner,
    Payment,
    PaymentChannel,
)
from .models.payments import COUNTED_SQL
from .models.validity import in_force
from .months import add_months, month_label


def branch_companies(period):
    """{branch id: company id} in force for the period (a branch without a version: its
    current company)."""
    result = dict(Branch.objects.values_list("pk", "company_id"))
    versions = BranchVersion.objects.filter(in_force(period)).values_list("branch_id", "company_id")
    result.update(versions)
    return result


# The month's counted payments of the customers who counted in some branches that month, per
# channel or partner: the placement in force (else the current commune), the branch serving
# that commune then (else the current branch) — adoption.metrics.fill_sql.PLACE_SQL's rule,
# joined once rather than looked up per payment (correlated subqueries made the month page
# 16 times slower on the benchmark month). Plain SQL: PostgreSQL and SQLite alike.
TOTALS_SQL = """
SELECT {key}, COUNT(*), SUM(p.amount)
FROM {payment} p
JOIN {customer} c ON c.id = p.customer_id
JOIN {channel} ch ON ch.id = p.channel_id
LEFT JOIN {placement} pl ON pl.customer_id = c.id AND pl.valid_from <= %s
     AND (pl.valid_to IS NULL OR pl.valid_to >= %s)
LEFT JOIN {territory} tr ON tr.commune_id = COALESCE(pl.commune_id, c.commune_id)
     AND tr.valid_from <= %s AND (tr.valid_to IS NULL OR tr.valid_to >= %s)
WHERE p.period = %s AND {counted} AND COALESCE(tr.branch_id, c.branch_id) IN ({branches})
GROUP BY {key}
"""
KEYS = {"partner": "ch.partner_id", "channel": "p.channel_id"}


def _totals_by(company, period, key):
    """{partner or channel id: (rows, VND)} of the month's counted payments in the company."""
    branch_ids = [b for b, c in branch_companies(period).items() if c == company.pk]
    if not branch_ids:
        return {}
    sql = TOTALS_SQL.format(
        key=KEYS[key],
        payment=Payment._meta.db_table,
        customer=Customer._meta.db_table,
        channel=PaymentChannel._meta.db_table,
        placement=CustomerPlacement._meta.db_table,
        territory=BranchTerritory._meta.db_table,
        counted=COUNTED_SQL.format(p="p"),
        branches=", ".join(["%s"] * len(branch_ids)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [period] * 5 + branch_ids)
        return {key: (rows, int(amount)) for key, rows, amount in cursor.fetchall()}


def arrivals(company, period):
    """{partner id (None: the billing system, the company's own channels): (rows, VND)} of
    the month's counted payments for the company's customers."""
    return _totals_by(company, period, "partner")


def expected_sources(company, period):
    """Each source expected this month, with what arrived: [{partner, label, rows, amount,
    missing}]. A source is expected when it delivered the month before (a partner that stops
    is missed once, then an admin closes the month without it)."""
    now = arrivals(company, period)
    before = arrivals(company, add_months(period, -1))
    names = dict(Partner.objects.filter(pk__in=set(now) | set(before)).values_list("pk", "name"))
    result = []
    for partner_id in sorted(set(now) | set(before), key=lambda p: (p is not None, p or 0)):
        rows, amount = now.get(partner_id, (0, 0))
        result.append(
            {
                "partner_id": partner_id,
                "label": names.get(partner_id) or _("Billing system"),
                "rows": rows,
                "amount": amount,
                "missing": partner_id not in now,
            }
        )
    return result


def reconciliation(company, period):
    """Each control total of the month beside what was imported: [{total, rows, amount,
    differs, explained}]."""
    imported = defaultdict(lambda: (0, 0), _totals_by(company, period, "channel"))
    result = []
    totals = ControlTotal.objects.filter(period=period).select_related("channel")
    for total in totals.order_by("channel__name"):
        rows, amount = imported[total.channel_id]
        differs = (rows, amount) != (total.rows, total.amount)
        result.append(
            {
                "total": total,
                "rows": rows,
                "amount": amount,
                "differs": differs,
                "explained": bool(total.explanation.strip()),
            }
        )
    return result


def missing_sources(company, period):
    """Why the month lacks sources: one message per expected source that has not delivered."""
    return [
        _("No file from %(source)s for %(month)s.")
        % {"source": s["label"], "month": month_label(period)}
        for s in expected_sources(company, period)
        if s["missing"]
    ]


def differences(company, period):
    """The unexplained differences between the partners' control totals and the import."""
    return [
        _(
            "%(channel)s: the partner counts %(rows)s rows and %(amount)s, the import "
            "%(imported_rows)s rows and %(imported_amount)s; explain the difference."
        )
        % {
            "channel": r["total"].channel.name,
            "rows": r["total"].rows,
            "amount": vnd(r["total"].amount),
            "imported_rows": r["rows"],
            "imported_amount": vnd(r["amount"]),
        }
        for r in reconciliation(company, period)
        if r["differs"] and not r["explained"]
    ]


def completion_problems(company, period):
    """Why the month cannot be complete yet: missing sources, unexplained differences."""
    return missing_sources(company, period) + differences(company, period)


def missing_expected_files(unit, month):
    """The missing-file alerts of a report unit (adoption.reports) at its latest complete month:
    each expected source not in for that month or the one after it once the month's due day
    (CLOSING_FILES_DUE_DAY of the month after) has passed. [{"key", "reason", "path"}]."""
    today = timezone.localdate()
    found = []
    for period in (month, add_months(month, 1)):
        due = add_months(period, 1).replace(day=settings.CLOSING_FILES_DUE_DAY)
        if today < due:
            continue
        path = reverse("dashboard:month", args=[f"{period:%Y-%m}"])
        for source in expected_sources(unit.company, period):
            if source["missing"]:
                reason = _("No file from %(source)s for %(month)s; it was due by %(due)s.") % {
                    "source": source["label"],
                    "month": month_label(period),
                    "due": f"{due:%d/%m/%Y}",
                }
                key = f"{period:%Y-%m}:{source['partner_id'] or 'billing'}"
                found.append({"key": key, "reason": reason, "path": path})
    return found
