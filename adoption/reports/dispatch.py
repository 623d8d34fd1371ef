"""What the worker queues: each subscription's report once per month (or per week of its
campaign, and then only when the figures changed), and each alert once per occurrence and
recipient. adoption.reports.deliveries sends what is queued.
"""

import hashlib
import logging

from django.utils import timezone

from ..filters import Scope
from ..models import AlertMute, Cadence, DeliveryStatus, Subscription
from ..months import add_months
from . import deliveries, mail
from .alerts import occurrences
from .figures import CHART_MONTHS, Unit, latest_month, unit_report
from .recipients import subscription_allowed

logger = logging.getLogger(__name__)

# Reasons shown in the admin's outbox (for the administrators, in English like the logs).
REFUSED = "The recipient's role does not allow this unit's figures."
NO_ADDRESS = "The recipient has no email address."


def unit_of(subscription):
    return Unit(
        company=subscription.company, branch=subscription.branch, commune=subscription.commune
    )


def _active(today):
    """Subscriptions to look at today: monthly ones, and weekly ones inside their campaign."""
    subscriptions = Subscription.objects.filter(active=True).select_related(
        "user", "company", "branch", "commune", "created_by"
    )
    return [
        s
        for s in subscriptions
        if s.cadence == Cadence.MONTHLY or s.campaign_start <= today <= s.campaign_end
    ]


def _report_key(subscription, month, today):
    if subscription.cadence == Cadence.WEEKLY:
        year, week, _day = today.isocalendar()
        return f"report:{subscription.pk}:week:{year}-{week:02d}"
    return f"report:{subscription.pk}:month:{month:%Y-%m}"


def _same_as_last(subscription, fingerprint):
    last = subscription.deliveries.filter(kind="report").exclude(
        status=DeliveryStatus.FAILED, message=b""
    )
    last = last.order_by("-created_at").values_list("fingerprint", flat=True).first()
    return last == fingerprint


def queue_report(subscription, today):
    """Queue the subscription's report if it is due; True when one was queued."""
    unit = unit_of(subscription)
    month = latest_month(unit.branch_ids())
    if month is None:
        return False
    key = _report_key(subscription, month, today)
    if deliveries.exists(key):
        return False
    refusal = REFUSED if not subscription_allowed(subscription, unit) else None
    if not subscription.address:
        refusal = NO_ADDRESS
    if refusal:
        logger.warning("Subscription %s refused: %s", subscription.pk, refusal)
        deliveries.record_refusal(
            key, "report", subscription.address, str(unit.name(month)), refusal, subscription
        )
        return False
    scope = Scope(start=add_months(month, 1 - CHART_MONTHS), end=month)
    report = unit_report(unit, scope)
    fingerprint = hashlib.sha256(report.fingerprint().encode()).hexdigest()
    if subscription.cadence == Cadence.WEEKLY and _same_as_last(subscription, fingerprint):
        return False  # nothing changed since the last week's email
    message = mail.report_email(subscription, report)
    return deliveries.queue(key, "report", message, subscription, fingerprint)


def _alert_units(subscription):
    """The units whose alerts a subscriber gets: their unit, and a company's branches."""
    unit = unit_of(subscription)
    if unit.level != "company":
        return [unit]
    branches = subscription.company.branches.select_related("district")
    return [unit, *(Unit(company=subscription.company, branch=b) for b in branches)]


def queue_alerts(subscription, muted):
    """Queue the alerts of the subscription's units for their latest month; how many."""
    if not subscription.alerts or not subscription.address:
        return 0
    queued = 0
    for unit in _alert_units(subscription):
        month = latest_month(unit.branch_ids())
        if month is None or not subscription_allowed(subscription, unit):
            continue
        for found in occurrences(unit, month, unit.name(month)):
            if (subscription.address.lower(), found.kind) in muted:
                continue
            key = f"alert:{found.key}:{subscription.address.lower()}"
            if deliveries.exists(key):
                continue
            message = mail.alert_email(subscription, found)
            queued += deliveries.queue(key, found.kind, message, subscription)
    return queued


def queue_all(today=None):
    """Queue every report and alert that is due; (reports, alerts) queued."""
    today = today or timezone.localdate()
    muted = {(e.lower(), k) for e, k in AlertMute.objects.values_list("email", "kind")}
    reports = alerts = 0
    for subscription in _active(today):
        # One subscription that cannot be written (a unit without data, a missing font) must
        # not hold back the others; it is tried again on the next run.
        try:
            reports += queue_report(subscription, today)
            alerts += queue_alerts(subscription, muted)
        except Exception:
            logger.exception("Could not queue the emails of subscription %s", subscription.pk)
    return reports, alerts
