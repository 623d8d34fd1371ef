"""How a payment channel's classification (kind, cash or not) changes: the only two ways.

- reclassify(...): from a month on, leaving every earlier month as it was. From the current
  or a later month anyone who may change channels can do it; from a past month it rewrites
  figures already reported, so it needs the restate permission as well.
- restate(...): explicitly rewrites the classification of a span of months, earlier ones
  included (a channel that was in fact cash all along). Administrators only (superusers or
  the "restate channel classification" permission), with a reason, audited in the
  classification's history with the user.

A channel's classifications tile time with no gap and no overlap: the first starts at
BEGINNING, each ends the day before the next starts, the last is open (valid_to empty).
PaymentChannel.kind and is_cash repeat the last one. Both functions mark dirty the rollups of
the months whose classification changed, and only those.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from . import metrics
from .metrics import dirty, fill
from .models import BranchMonth, ChannelClassification, Customer, Payment, PaymentChannel
from .models.channels import contradiction
from .models.validity import BEGINNING
from .months import add_months, month_label, this_month

# simple_history's change reason column holds 100 characters.
REASON_LENGTH = 100


def may_reclassify(user):
    return user.has_perm("adoption.change_paymentchannel")


def may_restate(user):
    return user.is_superuser or user.has_perm("adoption.restate_channelclassification")


def record_first(channel):
    """A new channel's classification: its kind and cash flag from the beginning."""
    ChannelClassification.objects.create(
        channel=channel, valid_from=BEGINNING, kind=channel.kind, is_cash=channel.is_cash
    )


def timeline(channel):
    """The channel's classifications, oldest first."""
    return list(ChannelClassification.objects.filter(channel=channel).order_by("valid_from"))


def in_force(channel, period):
    """The classification in force for bill period `period` (None: the channel has none)."""
    return (
        ChannelClassification.objects.filter(channel=channel, valid_from__lte=period)
        .order_by("-valid_from")
        .first()
    )


def noncash_in_force():
    """A Payment filter: paid through a channel whose classification in force for the
    payment's bill period is non-cash (the ORM twin of the fill's join)."""
    return Exists(
        ChannelClassification.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("period")),
            channel=OuterRef("channel"),
            valid_from__lte=OuterRef("period"),
            is_cash=False,
        )
    )


def in_force_for_payment(field):
    """A Payment annotation: this field ("kind" or "is_cash") of the channel's classification
    in force for the payment's bill period."""
    return Subquery(
        ChannelClassification.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("period")),
            channel=OuterRef("channel"),
            valid_from__lte=OuterRef("period"),
        ).values(field)[:1]
    )


def _check_month(value, field):
    if value is None:
        raise ValidationError({field: _("Give the month it applies from.")})
    if value.day != 1:
        raise ValidationError(
            {
                field: _(
                    "A classification changes on the first day of a month; %(date)s is in the "
                    "middle of %(month)s."
                )
                % {"date": f"{value:%d/%m/%Y}", "month": month_label(value)}
            }
        )
    if value < BEGINNING:
        raise ValidationError({field: _("A month before 1900 is not a bill period.")})


def _check_class(kind, is_cash):
    message = contradiction(kind, is_cash)
    if message:
        raise ValidationError({"is_cash": message})


def reclassify(channel, kind, is_cash, from_period, user, reason=""):
    """Classify `channel` as (kind, is_cash) from bill period `from_period` on.

    Refused, with nothing changed: a date that is not a month's first day, a kind that
    contradicts the cash flag, a month not after the start of the classification in force
    (that is a restatement), no change at all, a user who may not change channels, and a
    past month for a user who may not restate.
    """
    _check_month(from_period, "from_period")
    _check_class(kind, is_cash)
    if not may_reclassify(user):
        raise PermissionDenied(_("You may not change payment channels."))
    if from_period < this_month() and not may_restate(user):
        raise PermissionDenied(
            _(
                "From %(month)s the change would rewrite months already reported; only an "
                "administrator may do that (restate)."
            )
            % {"month": month_label(from_period)}
        )
    with transaction.atomic():
        rows = ChannelClassification.objects.select_for_update().filter(channel=channel)
        last = rows.order_by("-valid_from").first()
        if last is None:
            raise ValidationError(_("This channel has no classification to change."))
        if from_period <= last.valid_from:
            raise ValidationError(
                {
                    "from_period": _(
                        "The classification in force since %(month)s can only be changed from a "
                        "later month; changing it from %(from)s rewrites it: restate instead."
                    )
                    % {"month": month_label(last.valid_from), "from": month_label(from_period)}
                }
            )
        if (last.kind, last.is_cash) == (kind, is_cash):
            raise ValidationError(_("The channel is already classified so."))
        reason = reason[:REASON_LENGTH] or _("reclassified from %(month)s") % {
            "month": month_label(from_period)
        }
        _mark_changed(channel, from_period, None)
        last.valid_to = from_period - timedelta(days=1)
        _save(last, user, reason)
        _save(
            ChannelClassification(
                channel=channel, valid_from=from_period, kind=kind, is_cash=is_cash
            ),
            user,
            reason,
        )
        _copy_current(channel)


def restate(channel, kind, is_cash, from_period, user, reason, to_period=None):
    """Rewrite the classification of bill periods from_period..to_period (both months
    included; to_period None: from then on) to (kind, is_cash), earlier months included.

    Refused, with nothing changed: a user who may not restate, no reason given, a date that
    is not a month's first day, an end before the start, a contradiction.
    """
    if not may_restate(user):
        raise PermissionDenied(_("Only an administrator may restate past months."))
    _check_month(from_period, "from_period")
    if to_period is not None:
        _check_month(to_period, "to_period")
        if to_period < from_period:
            raise ValidationError({"to_period": _("The last month is before the first.")})
    _check_class(kind, is_cash)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the past is restated.")})
    reason = reason[:REASON_LENGTH]
    with transaction.atomic():
        rows = list(
            ChannelClassification.objects.select_for_update()
            .filter(channel=channel)
            .order_by("valid_from")
        )
        if not rows:
            raise ValidationError(_("This channel has no classification to change."))
        spans = _restated_spans(rows, kind, is_cash, from_period, to_period)
        if spans == [(r.valid_from, r.valid_to, r.kind, r.is_cash) for r in rows]:
            raise ValidationError(_("The channel is already classified so in those months."))
        _mark_changed(channel, from_period, to_period)
        # Rows are rewritten in place where they keep their start, so each keeps its history.
        by_start = {row.valid_from: row for row in rows}
        kept = {start for start, *_ in spans}
        for row in rows:
            if row.valid_from not in kept:
                row._history_user = user
                row._change_reason = reason
                row.delete()
        # Ends first, in order, so no two rows are ever open at once.
        for start, end, span_kind, span_cash in spans:
            row = by_start.get(start) or ChannelClassification(channel=channel, valid_from=start)
            if (row.pk, row.valid_to, row.kind, row.is_cash) != (None, end, span_kind, span_cash):
                row.valid_to, row.kind, row.is_cash = end, span_kind, span_cash
                _save(row, user, reason)
        _copy_current(channel)


def _restated_spans(rows, kind, is_cash, first, last):
    """The timeline once first..last (last None: open) reads (kind, is_cash): a list of
    (valid_from, valid_to, kind, is_cash), neighbours of the same class joined."""
    stop = None if last is None else add_months(last, 1)  # first month after the span
    pieces = []
    for row in rows:
        start = row.valid_from
        end_next = None if row.valid_to is None else row.valid_to + timedelta(days=1)
        # The part of the row before the span, and the part after it.
        if start < first:
            pieces.append((start, min(first, end_next) if end_next else first, row))
        if stop is not None and (end_next is None or end_next > stop):
            pieces.append((max(start, stop), end_next, row))
    pieces = [(s, e, r.kind, r.is_cash) for s, e, r in pieces if e is None or s < e]
    pieces.append((first, stop, kind, is_cash))
    pieces.sort(key=lambda piece: piece[0])
    joined = []
    for start, end_next, piece_kind, piece_cash in pieces:
        if joined and joined[-1][2:] == (piece_kind, piece_cash):
            joined[-1] = (joined[-1][0], end_next, piece_kind, piece_cash)
        else:
            joined.append((start, end_next, piece_kind, piece_cash))
    return [
        (start, None if end_next is None else end_next - timedelta(days=1), k, c)
        for start, end_next, k, c in joined
    ]


def _save(row, user, reason):
    row._history_user = user
    row._change_reason = reason
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save()


def _copy_current(channel):
    """PaymentChannel.kind and is_cash repeat the open classification (an update, not a
    save: the save path refuses to change them)."""
    last = ChannelClassification.objects.get(channel=channel, valid_to__isnull=True)
    PaymentChannel.objects.filter(pk=channel.pk).update(kind=last.kind, is_cash=last.is_cash)
    channel.kind, channel.is_cash = last.kind, last.is_cash


def _mark_changed(channel, first, last):
    """Mark dirty the (period, branch) rollups the channel was used in between first and last
    (None: onward); every other month keeps its figures."""
    used = Payment.objects.filter(channel=channel, period__gte=first)
    if last is not None:
        used = used.filter(period__lte=last)
    by_period = {}
    for period, branch_id in used.values_list("period", "customer__branch_id").distinct():
        by_period.setdefault(period, set()).add(branch_id)
    # A past period's figures sit in the branch of that period, maybe not the customer's now.
    related = dirty.branches_sharing_customers()
    for period, branch_ids in by_period.items():
        dirty.mark_dirty([period], {r for b in branch_ids for r in related[b]})


# What a change would do, for the confirmation page.


def preview(channel, kind, is_cash, first, last=None):
    """The months first..last (None: onward) whose classification the change alters, with the
    channel's payments there and, where the cash flag flips, each branch's adoption rate
    before and after: [{"period", "before", "after", "payments", "branches": [...]}].

    Read from the rollups and one grouped query over the channel's payments in those months.
    """
    rows = timeline(channel)
    months = {}
    used = Payment.objects.filter(channel=channel, period__gte=first)
    if last is not None:
        used = used.filter(period__lte=last)
    counts = dict(used.values("period").annotate(n=Count("id")).values_list("period", "n"))
    for period in sorted(counts):
        before = next((r for r in reversed(rows) if r.valid_from <= period), None)
        if before is None or (before.kind, before.is_cash) == (kind, is_cash):
            continue
        months[period] = {
            "period": period,
            "before": before,
            "payments": counts[period],
            "flips": before.is_cash != is_cash,
            "branches": [],
        }
    flipping = sorted(p for p, m in months.items() if m["flips"])
    if flipping:
        for period, _branch, name, active, noncash, moved in _flip_counts(channel, flipping):
            after = noncash - moved if is_cash else noncash + moved
            months[period]["branches"].append(
                {
                    "name": name,
                    "before": metrics.percent(noncash, active),
                    "after": metrics.percent(after, active),
                    "customers": moved,
                }
            )
    return [months[p] for p in sorted(months)]


def _flip_counts(channel, periods):
    """Per (period, branch): active and non-cash customers from the rollups, and how many
    customers the flip moves (those whose only non-cash payment, or whose only payment that
    could become non-cash, goes through this channel)."""
    rollups = {
        (r["period"], r["branch_id"]): r
        for r in BranchMonth.objects.filter(period__in=periods)
        .values("period", "branch_id", "branch__name")
        .annotate(active=Sum("active_customers"), noncash=Sum("noncash_customers"))
    }
    t = {
        "payment": Payment._meta.db_table,
        "customer": Customer._meta.db_table,
        "classification": ChannelClassification._meta.db_table,
    }
    marks = ", ".join(["%s"] * len(periods))
    # A customer moves when this channel decides their month: no other non-cash payment that
    # month (through a channel whose classification in force is non-cash).
    sql = f"""
        SELECT p.period, c.branch_id, COUNT(DISTINCT p.customer_id)
        FROM {t["payment"]} p JOIN {t["customer"]} c ON c.id = p.customer_id
        WHERE p.channel_id = %s AND p.period IN ({marks})
          AND NOT EXISTS (
              SELECT 1 FROM {t["payment"]} q
              JOIN {t["classification"]} qc ON qc.channel_id = q.channel_id
                   AND qc.valid_from <= q.period
                   AND (qc.valid_to IS NULL OR qc.valid_to >= q.period)
              WHERE q.customer_id = p.customer_id AND q.period = p.period
                AND q.channel_id <> p.channel_id AND NOT qc.is_cash)
        GROUP BY p.period, c.branch_id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [channel.pk, *periods])
        moved = cur.fetchall()
    result = []
    for period, branch_id, count in moved:
        period = fill.as_date(period)
        rollup = rollups.get((period, branch_id)) or {}
        result.append(
            (
                period,
                branch_id,
                rollup.get("branch__name", ""),
                rollup.get("active", 0),
                rollup.get("noncash", 0),
                count,
            )
        )
    return sorted(result, key=lambda r: (r[0], r[2]))
