"""What branch staff may learn about one household at the door: whether it already pays without
cash, through which kind of channel, and since which bill. No name, no amounts."""

from .channel_history import in_force_for_payment
from .choices import ChannelKind
from .models import Payment


def lookup(customer):
    """{"paid": bool, "noncash": bool, "kind": ChannelKind or None, "since": period or None,
    "last_period": period or None} from the customer's payments, newest bill first.

    Non-cash now: the newest bill period paid has a non-cash payment. Since: the first period of
    the unbroken run of paid periods with a non-cash payment that ends there (a bill paid only
    in cash ends the run; an unpaid month does not).
    """
    periods = {}
    for period, is_cash, kind in (
        Payment.objects.filter(customer=customer)
        .annotate(cash_then=in_force_for_payment("is_cash"), kind_then=in_force_for_payment("kind"))
        .order_by("-period", "-paid_at")
        .values_list("period", "cash_then", "kind_then")
    ):
        entry = periods.setdefault(period, {"noncash": False, "kind": None})
        if is_cash is False and not entry["noncash"]:
            entry.update(noncash=True, kind=kind)  # the latest non-cash payment of that bill
    if not periods:
        return {"paid": False, "noncash": False, "kind": None, "since": None, "last_period": None}
    ordered = sorted(periods, reverse=True)
    newest = periods[ordered[0]]
    since = None
    if newest["noncash"]:
        for period in ordered:
            if not periods[period]["noncash"]:
                break
            since = period
    return {
        "paid": True,
        "noncash": newest["noncash"],
        "kind": ChannelKind(newest["kind"]) if newest["kind"] else None,
        "since": since,
        "last_period": ordered[0],
    }
