"""Who collected a payment, as the partner chart and table show it: a partner, or a channel of
our own; and the partner table's rows."""

from collections import defaultdict
from dataclasses import dataclass

from .models import PaymentChannel


@dataclass(frozen=True)
class Payee:
    """Who collected a payment as the partner pages show it: a partner, or a channel of our own."""

    key: str
    name: str
    kinds: tuple
    active: bool


def payees(today):
    """{channel id: Payee} for every channel, read in one query."""
    channels = PaymentChannel.objects.select_related("partner").order_by("name")
    grouped = defaultdict(list)
    for channel in channels:
        key = f"partner-{channel.partner_id}" if channel.partner_id else f"channel-{channel.pk}"
        grouped[key].append(channel)
    result = {}
    for key, group in grouped.items():
        partner = group[0].partner
        active = any(
            c.active and (c.contract_end is None or c.contract_end >= today) for c in group
        )
        payee = Payee(
            key=key,
            name=partner.name if partner else group[0].name,
            kinds=tuple(sorted({c.get_kind_display() for c in group}, key=str)),
            active=active,
        )
        for channel in group:
            result[channel.pk] = payee
    return result


def payee_rows(mix_rows, payee_of, end):
    """Partner table rows from channel_mix(by="channel") rows; every payee appears."""
    rows = {
        payee.key: {
            "key": payee.key,
            "name": payee.name,
            "kinds": ", ".join(str(k) for k in payee.kinds),
            "active": payee.active,
            "payments": 0,
            "amount": 0,
            "payments_last_month": 0,
            "amount_last_month": 0,
        }
        for payee in payee_of.values()
    }
    for mix in mix_rows:
        row = rows[payee_of[mix["channel_id"]].key]
        row["payments"] += mix["payments"]
        row["amount"] += mix["amount"]
        if mix["period"] == end:
            row["payments_last_month"] += mix["payments"]
            row["amount_last_month"] += mix["amount"]
    return sorted(rows.values(), key=lambda row: (not row["active"], -row["payments"], row["name"]))
