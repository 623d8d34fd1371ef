"""Small edits applied to the rollups as deltas, in the edit's own transaction.

One customer's edit (type, commune, branch, connection dates) or one payment added, changed
or deleted changes one customer's share of the counts: this module works that share out
before and after the change, from the customer's own payments and first non-cash period,
with the definitions of adoption.metrics, and adds the difference to the CommuneMonth,
BranchMonth and ChannelMonth rows it touches (and to FirstNoncash). A few dozen indexed
updates instead of refilling every month of a branch.

A delta is exact only on rollups that match the raw rows, so it is applied only then:
inside a transaction (it commits or rolls back with the edit), with no dirty marker waiting
and no interrupted fill, with the fill lock taken (on PostgreSQL; SQLite serialises writers),
and when the covered months stay the same. Otherwise apply() returns False and the caller
marks the cells dirty for the worker, as before. A delta that would drive a count below zero
(the rollups were not what they should be) is rolled back to its savepoint and the caller
marks instead: never a wrong figure, at worst a refill.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from . import metrics
from .metrics import fill, freshness
from .models import (
    Branch,
    BranchMonth,
    BranchTerritory,
    BranchVersion,
    ChannelClassification,
    ChannelMonth,
    CommuneMonth,
    CustomerPlacement,
    FirstNoncash,
    Payment,
    RollupDirty,
    RollupState,
)
from .months import add_months, month_end, month_start

CUSTOMER_FIELDS = ("branch_id", "commune_id", "customer_type", "connected_on", "disconnected_on")


@dataclass(frozen=True)
class Paid:
    period: object
    channel_id: int
    is_cash: bool
    amount: int
    kind: str = ""


class _Refused(Exception):
    """The delta cannot be applied exactly: mark the cells dirty instead."""


def customer_state(customer):
    return {f: getattr(customer, f) for f in CUSTOMER_FIELDS}


def _classified(rows):
    """Paid rows from (period, channel_id, amount), each with the classification in force
    for its bill period (as the fill joins it); a row whose channel has none is left out
    (the fill leaves it out too)."""
    rows = list(rows)
    spans = defaultdict(list)
    channels = {channel_id for _period, channel_id, _amount in rows}
    for c in ChannelClassification.objects.filter(channel_id__in=channels).values(
        "channel_id", "valid_from", "valid_to", "kind", "is_cash"
    ):
        spans[c["channel_id"]].append(c)
    result = []
    for period, channel_id, amount in rows:
        period = month_start(period)
        for c in spans[channel_id]:
            if c["valid_from"] <= period and (c["valid_to"] is None or c["valid_to"] >= period):
                result.append(Paid(period, channel_id, c["is_cash"], amount, c["kind"]))
                break
    return result


def payments_of(customer_id, exclude_pk=None):
    qs = Payment.objects.counted().filter(customer_id=customer_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return _classified(qs.values_list("period", "channel_id", "amount"))


def paid(payment):
    """The payment as the delta counts it; None for a channel with no classification for its
    period (or none at all: the database refuses the row anyway)."""
    found = _classified([(payment.period, payment.channel_id, payment.amount)])
    return found[0] if found else None


def apply(customer_id, old, new, old_payments, new_payments):
    """Add (new - old) of one customer's share to the rollups; False if it must be a refill.

    old, new: the customer's CUSTOMER_FIELDS before and after; *_payments: its payments."""
    if not connection.in_atomic_block or customer_id is None:
        return False
    try:
        with transaction.atomic():
            _check_consistent(old_payments, new_payments)
            covered = freshness.covered_periods()
            first_old = _first(old_payments)
            first_new = _first(new_payments)
            stored = FirstNoncash.objects.filter(customer_id=customer_id).first()
            if (stored.period if stored else None) != first_old:
                raise _Refused
            moved = new["commune_id"] != old["commune_id"]
            before = _share(
                old, old_payments, first_old, covered, _places(customer_id, old, covered)
            )
            after = _share(
                new, new_payments, first_new, covered, _places(customer_id, new, covered, moved)
            )
            _add(after, before)
            if first_new != first_old:
                FirstNoncash.objects.filter(customer_id=customer_id).delete()
                if first_new is not None:
                    FirstNoncash.objects.create(customer_id=customer_id, period=first_new)
            now = timezone.now()
            # A new data version: the cached pages and charts are read again.
            RollupState.objects.filter(name=freshness.STATE_NAME).update(
                finished_at=now, data_as_of=now
            )
    except (_Refused, DatabaseError):
        return False
    return True


def _check_consistent(old_payments, new_payments):
    """The rollups match the raw rows, and the change keeps the covered months the same."""
    if RollupDirty.objects.exists() or freshness.fill_interrupted():
        raise _Refused
    if not RollupState.objects.filter(name=freshness.STATE_NAME, data_as_of__isnull=False).exists():
        raise _Refused
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [fill.FILL_LOCK])
            if not cursor.fetchone()[0]:
                raise _Refused  # a fill is running
    changed = Counter(p.period for p in old_payments) != Counter(p.period for p in new_payments)
    if not changed:
        return
    covered = freshness.covered_periods()
    if not covered:
        raise _Refused
    first, last = covered[0], covered[-1]
    added = {p.period for p in new_payments} - {p.period for p in old_payments}
    if any(not first <= period <= last for period in added):
        raise _Refused
    # Removing the only payment of the first or last covered month would shrink the range.
    old_count = Counter(p.period for p in old_payments)
    new_count = Counter(p.period for p in new_payments)
    for edge in {first, last}:
        if new_count[edge] < old_count[edge]:
            others = Payment.objects.counted().filter(period=edge).count() - old_count[edge]
            if others + new_count[edge] == 0:
                raise _Refused


def _first(payments):
    periods = [p.period for p in payments if not p.is_cash]
    return min(periods) if periods else None


def _in_force(rows, period):
    for row in rows:
        if row["valid_from"] <= period and (row["valid_to"] is None or row["valid_to"] >= period):
            return row
    return None


def _places(customer_id, state, periods, correct_open=False):
    """{period: (branch, commune, company)} the fill counts the customer in, as it was: the
    commune of its placement in force then (the open placement corrected to the state's commune
    when correct_open, as a plain edit does: adoption.territory), the branch serving that commune
    then and that branch's company then; the state's commune and branch where a fact is missing
    (adoption.metrics.fill_sql.PLACE_SQL)."""
    placements = list(
        CustomerPlacement.objects.filter(customer_id=customer_id).values(
            "valid_from", "valid_to", "commune_id"
        )
    )
    if correct_open:
        for row in placements:
            if row["valid_to"] is None:
                row["commune_id"] = state["commune_id"]
    communes = {row["commune_id"] for row in placements} | {state["commune_id"]}
    served = defaultdict(list)
    for row in BranchTerritory.objects.filter(commune_id__in=communes).values(
        "commune_id", "valid_from", "valid_to", "branch_id"
    ):
        served[row["commune_id"]].append(row)
    branches = {state["branch_id"]} | {r["branch_id"] for rows in served.values() for r in rows}
    versions = defaultdict(list)
    for row in BranchVersion.objects.filter(branch_id__in=branches).values(
        "branch_id", "valid_from", "valid_to", "company_id"
    ):
        versions[row["branch_id"]].append(row)
    company_of = dict(Branch.objects.filter(pk__in=branches).values_list("pk", "company_id"))
    places = {}
    for period in periods:
        placement = _in_force(placements, period)
        commune = placement["commune_id"] if placement else state["commune_id"]
        territory = _in_force(served[commune], period)
        branch = territory["branch_id"] if territory else state["branch_id"]
        version = _in_force(versions[branch], period)
        places[period] = (branch, commune, version["company_id"] if version else company_of[branch])
    return places


def _share(state, payments, first, covered, places):
    """One customer's counts: {(table, key): Counter of fields}, per the fill's definitions,
    in the (branch, commune, company) of each period (places)."""
    by_period = defaultdict(list)
    for payment in payments:
        by_period[payment.period].append(payment)
    share = {}
    type_ = state["customer_type"]
    for period in covered:
        branch, commune, company = places[period]
        pays = by_period.get(period, [])
        noncash = [p for p in pays if not p.is_cash]
        previous = add_months(period, -1)
        cohort = add_months(period, -metrics.RETENTION_MONTHS)
        active = state["connected_on"] <= month_end(period) and (
            state["disconnected_on"] is None or state["disconnected_on"] >= period
        )
        if not (active or pays or first in (period, cohort)):
            continue
        counts = Counter(
            active_customers=int(active),
            paying_customers=int(bool(pays)),
            noncash_customers=int(bool(noncash)),
            payments=len(pays),
            noncash_payments=len(noncash),
            amount=sum(p.amount for p in pays),
            noncash_amount=sum(p.amount for p in noncash),
            new_noncash_customers=int(first == period),
            back_to_cash_customers=int(
                bool(pays)
                and not noncash
                and any(not p.is_cash for p in by_period.get(previous, []))
            ),
            cohort_6m_customers=int(first == cohort),
            retained_6m_customers=int(first == cohort and bool(noncash)),
        )
        share[("commune", (period, branch, commune, type_))] = counts
        share[("branch", (period, branch, company, type_))] = counts
        per_channel = defaultdict(Counter)
        for p in pays:
            per_channel[(p.channel_id, p.kind)].update(payments=1, amount=p.amount)
        for (channel_id, kind), channel_counts in per_channel.items():
            channel_counts["customers"] = 1
            share[("channel", (period, branch, channel_id, kind, type_))] = channel_counts
    return share


TABLES = {
    "commune": (CommuneMonth, ("period", "branch_id", "commune_id", "customer_type")),
    "branch": (BranchMonth, ("period", "branch_id", "company_id", "customer_type")),
    "channel": (ChannelMonth, ("period", "branch_id", "channel_id", "kind", "customer_type")),
}


def _add(after, before):
    by_table = defaultdict(dict)
    for cell in set(after) | set(before):
        delta = Counter(after.get(cell, {}))
        delta.subtract(before.get(cell, {}))
        delta = {field: value for field, value in delta.items() if value}
        if delta:
            table, key = cell
            by_table[table][key] = delta
    for table, deltas in by_table.items():
        model, key_fields = TABLES[table]
        if connection.vendor == "postgresql":
            _add_in_one_statement(model, key_fields, deltas)
        else:
            _add_row_by_row(model, key_fields, deltas)


def _add_in_one_statement(model, key_fields, deltas):
    """PostgreSQL: one UPDATE … FROM (VALUES …) per table, then the rows it did not find
    inserted and the rows left counting nothing deleted (a few statements, not hundreds)."""
    # The key fields are their own columns (period, branch_id, …), and so are the counts.
    keys = list(key_fields)
    counts = [f.column for f in model._meta.concrete_fields if f.column not in ("id", *keys)]
    types = {
        "period": "date",
        "branch_id": "bigint",
        "commune_id": "bigint",
        "company_id": "bigint",
        "channel_id": "bigint",
        "kind": "text",
        "customer_type": "text",
    }
    row = "(" + ", ".join([f"%s::{types[k]}" for k in keys] + ["%s::bigint"] * len(counts)) + ")"
    args = []
    for key, delta in deltas.items():
        args += [*key, *(delta.get(c, 0) for c in counts)]
    table = model._meta.db_table
    sql = (
        f"UPDATE {table} t SET "
        + ", ".join(f"{c} = t.{c} + v.{c}" for c in counts)
        + f" FROM (VALUES {', '.join([row] * len(deltas))}) AS v({', '.join(keys + counts)})"
        + " WHERE "
        + " AND ".join(f"t.{k} = v.{k}" for k in keys)
        + " RETURNING "
        + ", ".join(f"t.{k}" for k in keys)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        found = {tuple(row) for row in cursor.fetchall()}
        missing = [(key, delta) for key, delta in deltas.items() if tuple(key) not in found]
        if any(value < 0 for _key, delta in missing for value in delta.values()):
            raise _Refused
        model.objects.bulk_create(
            [model(**dict(zip(key_fields, key, strict=True)), **delta) for key, delta in missing]
        )
        periods = sorted({key[0] for key in deltas})
        branches = sorted({key[1] for key in deltas})
        # A full fill writes no row that counts nothing: neither does a delta.
        cursor.execute(
            f"DELETE FROM {table} WHERE period = ANY(%s) AND branch_id = ANY(%s) AND "
            + " AND ".join(f"{c} = 0" for c in counts),
            [periods, branches],
        )


def _add_row_by_row(model, key_fields, deltas):
    """The portable path: an UPDATE per row, INSERT where none, DELETE where it counts nothing."""
    for key, delta in deltas.items():
        where = dict(zip(key_fields, key, strict=True))
        rows = model.objects.filter(**where)
        updated = rows.update(**{field: F(field) + value for field, value in delta.items()})
        if not updated:
            if any(value < 0 for value in delta.values()):
                raise _Refused
            model.objects.create(**where, **delta)
            continue
        row = rows.values().first()
        counts = {k: v for k, v in row.items() if k not in ("id", *key_fields)}
        if any(value < 0 for value in counts.values()):
            raise _Refused
        if not any(counts.values()):
            rows.delete()
