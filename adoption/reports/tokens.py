"""Signed links in emails: unsubscribe from a subscription, mute a kind of alert. They carry
no login; the signature (SECRET_KEY, a salt per purpose) is what makes them unforgeable."""

from django.core import signing

UNSUBSCRIBE = "powerco.reports.unsubscribe"
MUTE = "powerco.reports.mute"


def unsubscribe_token(subscription):
    return signing.dumps({"s": subscription.pk}, salt=UNSUBSCRIBE, compress=True)


def read_unsubscribe(token):
    """The subscription id of a token, or None when it is not one of ours."""
    try:
        return signing.loads(token, salt=UNSUBSCRIBE)["s"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


def mute_token(email, kind):
    return signing.dumps({"e": email, "k": kind}, salt=MUTE, compress=True)


def read_mute(token):
    """(email, alert kind) of a token, or None."""
    try:
        data = signing.loads(token, salt=MUTE)
        return data["e"], data["k"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
