"""Validation rules, run on every import (after it commits, in the worker or the command) and
on demand (`python manage.py validate_months`), with their findings stored per month.

Each rule is one set-based query over a month; a run replaces the month's findings. The rules
(docs/closing.md):

- outside_connection: a counted payment for a month the customer was not connected in (before
  the month of connection or after the month of disconnection). The import refuses such rows
  outright (adoption.importers.payments); this rule finds the ones that became so afterwards,
  a customer's dates corrected after their payments arrived. Blocks approval.
- reference_reused: a partner reference used for payments of two different months through the
  partner's channels. Blocks approval.
- noncash_above_total: a commune with more non-cash customers than customers. Blocks approval.
- rate_jump: a branch's (or a commune's of at least CLOSING_RATE_JUMP_MIN_CUSTOMERS) adoption
  rate moving more than CLOSING_RATE_JUMP_POINTS points from the month before. A warning.
- amount_outlier: a payment more than CLOSING_OUTLIER_FACTOR times above, or below one
  CLOSING_OUTLIER_FACTOR-th of, the customer's average over the twelve months before (with at
  least three payments there). A warning.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import RuleCode
from .formatting import vnd
from .models import BranchMonth, CommuneMonth, Finding, Payment
from .months import add_months, month_label

BLOCKING = (RuleCode.OUTSIDE_CONNECTION, RuleCode.REFERENCE_REUSED, RuleCode.NONCASH_ABOVE_TOTAL)


def _setting(name, default):
    # Read when the rule runs, so a test (or a changed setting) applies at once.
    return getattr(settings, name, default)


def blocking_findings(period, branch_ids):
    """How many findings of the month stop its approval in these branches."""
    return Finding.objects.filter(
        period=period, rule__in=BLOCKING, branch_id__in=branch_ids
    ).count()


def run(periods):
    """Run every rule on these months; replace their findings. Returns how many were found."""
    found = 0
    for period in sorted(set(periods)):
        findings = [*_outside(period), *_reused(period), *_above(period)]
        findings += [*_jumps(period), *_outliers(period)]
        with transaction.atomic():
            Finding.objects.filter(period=period).delete()
            Finding.objects.bulk_create(findings, batch_size=1000)
        found += len(findings)
    return found


def _payment_finding(period, rule, row, detail):
    return Finding(
        period=period,
        rule=rule,
        branch_id=row["customer__branch_id"],
        channel_id=row["channel_id"],
        reference=row["reference"],
        customer_id=row["customer_id"],
        detail=detail,
    )


PAYMENT_FIELDS = ("customer_id", "customer__branch_id", "customer__code", "channel_id", "reference")


def _outside(period):
    last_day = add_months(period, 1)
    rows = (
        Payment.objects.counted()
        .filter(period=period)
        .filter(Q(customer__connected_on__gte=last_day) | Q(customer__disconnected_on__lt=period))
        .values(*PAYMENT_FIELDS)
    )
    detail = _("Customer %(code)s was not connected in %(month)s.")
    return [
        _payment_finding(
            period,
            RuleCode.OUTSIDE_CONNECTION,
            r,
            detail % {"code": r["customer__code"], "month": month_label(period)},
        )
        for r in rows
    ]


def _reused(period):
    elsewhere = Payment.objects.counted().filter(
        channel__partner_id=OuterRef("channel__partner_id"), reference=OuterRef("reference")
    )
    rows = (
        Payment.objects.counted()
        .filter(period=period, channel__partner__isnull=False)
        .filter(Exists(elsewhere.exclude(period=period)))
        .values(*PAYMENT_FIELDS)
    )
    detail = _("Reference “%(ref)s” is also used for another month by the same partner.")
    return [
        _payment_finding(period, RuleCode.REFERENCE_REUSED, r, detail % {"ref": r["reference"]})
        for r in rows
    ]


def _above(period):
    rows = (
        CommuneMonth.objects.filter(period=period)
        .values("branch_id", "commune_id", "commune__name")
        .annotate(active=Sum("active_customers"), noncash=Sum("noncash_customers"))
        .filter(noncash__gt=F("active"))
    )
    detail = _("%(commune)s: %(noncash)s non-cash customers, %(active)s customers.")
    return [
        Finding(
            period=period,
            rule=RuleCode.NONCASH_ABOVE_TOTAL,
            branch_id=r["branch_id"],
            detail=detail % {"commune": r["commune__name"], **r},
        )
        for r in rows
    ]


def _rates(model, period, keys):
    rows = (
        model.objects.filter(period=period)
        .values(*keys)
        .annotate(active=Sum("active_customers"), noncash=Sum("noncash_customers"))
    )
    return {tuple(r[k] for k in keys): (r["noncash"], r["active"]) for r in rows}


def _jumps(period):
    points = _setting("CLOSING_RATE_JUMP_POINTS", 10)
    smallest = _setting("CLOSING_RATE_JUMP_MIN_CUSTOMERS", 50)
    findings = []
    for model, keys, minimum in (
        (BranchMonth, ("branch_id",), 1),
        (CommuneMonth, ("branch_id", "commune_id"), smallest),
    ):
        now, before = _rates(model, period, keys), _rates(model, add_months(period, -1), keys)
        for key, (noncash, active) in now.items():
            old_noncash, old_active = before.get(key, (0, 0))
            if min(active, old_active) < minimum:
                continue
            moved = 100 * noncash / active - 100 * old_noncash / old_active
            if abs(moved) > points:
                findings.append(
                    Finding(
                        period=period,
                        rule=RuleCode.RATE_JUMP,
                        branch_id=key[0],
                        detail=_jump_detail(model, key, moved),
                    )
                )
    return findings


def _jump_detail(model, key, moved):
    from .models import AdminArea, Branch

    if model is BranchMonth:
        name = Branch.objects.filter(pk=key[0]).values_list("name", flat=True).first()
    else:
        name = AdminArea.objects.filter(pk=key[1]).values_list("name", flat=True).first()
    return _("%(unit)s: the adoption rate moved %(points)+.1f points from the month before.") % {
        "unit": name,
        "points": moved,
    }


def _outliers(period):
    """Two grouped reads (the customers' year before, the month's payments), compared here: a
    subquery per payment took tens of seconds on a provincial month."""
    factor = _setting("CLOSING_OUTLIER_FACTOR", 10)
    usual = {
        row["customer_id"]: row["usual"]
        for row in Payment.objects.counted()
        .filter(period__gte=add_months(period, -12), period__lt=period)
        .values("customer_id")
        .annotate(usual=Avg("amount"), seen=Count("id"))
        .filter(seen__gte=3)
        .values("customer_id", "usual")
    }
    detail = _("%(amount)s against an average of %(usual)s over the year before.")
    findings = []
    month = Payment.objects.counted().filter(period=period)
    for r in month.values(*PAYMENT_FIELDS, "amount").iterator(chunk_size=10_000):
        average = usual.get(r["customer_id"])
        if average and not average / factor <= r["amount"] <= average * factor:
            text = detail % {"amount": vnd(r["amount"]), "usual": vnd(round(average))}
            findings.append(_payment_finding(period, RuleCode.AMOUNT_OUTLIER, r, text))
    return findings


def failing_rules(unit, month):
    """The failing-rule alerts of a report unit (adoption.reports) for a month: one per blocking
    rule with findings in the unit's branches. [{"key", "reason", "path"}]."""
    rows = (
        Finding.objects.filter(period=month, rule__in=BLOCKING, branch_id__in=unit.branch_ids())
        .values("rule")
        .annotate(count=Count("pk"))
        .order_by("rule")
    )
    path = reverse("dashboard:month", args=[f"{month:%Y-%m}"])
    return [
        {
            "key": f"{month:%Y-%m}:{row['rule']}",
            "reason": ngettext(
                "%(rule)s: %(count)s finding in %(month)s stops its approval.",
                "%(rule)s: %(count)s findings in %(month)s stop its approval.",
                row["count"],
            )
            % {
                "rule": RuleCode(row["rule"]).label,
                "count": row["count"],
                "month": month_label(month),
            },
            "path": path,
        }
        for row in rows
    ]
