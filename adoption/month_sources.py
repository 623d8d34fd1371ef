"""A company's month: the sources expected to deliver, what each delivered, and the partners'
control totals beside what was imported (docs/closing.md).

A payment belongs to the company its customer counted in that month, "as it was": the
customer's placement in force for the period, the branch serving that commune then, that
branch's company then — the rules the rollups follow (adoption.metrics.fill_sql), so a branch
that later moved to another company leaves its old months' arrivals with the old company.
"""

from collections import defaultdict

from django.db.models import BigIntegerField, Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from .formatting import vnd
from .models import (
    Branch,
    BranchTerritory,
    BranchVersion,
    ControlTotal,
    CustomerPlacement,
    Partner,
    Payment,
)
from .models.validity import in_force
from .months import add_months, month_label


def _first(queryset, field):
    return Subquery(queryset.values(field)[:1], output_field=BigIntegerField())


def branch_companies(period):
    """{branch id: company id} in force for the period (a branch without a version: its
    current company)."""
    result = dict(Branch.objects.values_list("pk", "company_id"))
    versions = BranchVersion.objects.filter(in_force(period)).values_list("branch_id", "company_id")
    result.update(versions)
    return result


def company_payments(company, period):
    """The month's counted payments of customers who counted in the company that month."""
    commune = Coalesce(
        _first(
            CustomerPlacement.objects.filter(in_force(period), customer=OuterRef("customer_id")),
            "commune_id",
        ),
        "customer__commune_id",
        output_field=BigIntegerField(),
    )
    served = BranchTerritory.objects.filter(in_force(period), commune=OuterRef("month_commune"))
    branch = Coalesce(
        _first(served, "branch_id"), "customer__branch_id", output_field=BigIntegerField()
    )
    branch_ids = [b for b, c in branch_companies(period).items() if c == company.pk]
    return (
        Payment.objects.counted()
        .filter(period=period)
        .annotate(month_commune=commune)
        .annotate(month_branch=branch)
        .filter(month_branch__in=branch_ids)
    )


def _totals_by(company, period, field):
    rows = (
        company_payments(company, period)
        .values(field)
        .annotate(rows=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    return {r[field]: (r["rows"], r["amount"]) for r in rows}


def arrivals(company, period):
    """{partner id (None: the billing system, the company's own channels): (rows, VND)} of
    the month's counted payments for the company's customers."""
    return _totals_by(company, period, "channel__partner_id")


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
    imported = defaultdict(lambda: (0, 0), _totals_by(company, period, "channel_id"))
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
