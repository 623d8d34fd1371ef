"""The outbox: emails are queued as Delivery rows and sent from them by the worker.

A message is written once, when it is decided, and its MIME bytes are kept: a failed send is
tried again from the same bytes after 1, 2, 4, … × REPORT_RETRY_SECONDS, REPORT_SEND_ATTEMPTS
times in all, then stays "failed" with its reason for the admin, who may send it again. A key
that is already queued is never queued twice, which is what makes every report and alert go
out once per occurrence however often the worker looks.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)


class _Written:
    """The stored bytes, answering the one call Django's SMTP backend makes on a message."""

    def __init__(self, data):
        self.data = data

    def as_bytes(self, unixfrom=False, linesep="\n"):
        return self.data.replace(b"\r\n", b"\n").replace(b"\n", linesep.encode())


class StoredMessage(EmailMessage):
    """A message sent as it was written (its bytes), through Django's mail backend."""

    def __init__(self, delivery):
        super().__init__(from_email=settings.DEFAULT_FROM_EMAIL, to=[delivery.recipient])
        self._bytes = bytes(delivery.message)

    def message(self, *args, **kwargs):
        return _Written(self._bytes)


def exists(key):
    return Delivery.objects.filter(key=key).exists()


def queue(key, kind, message, subscription=None, fingerprint=""):
    """Queue `message` (a Django EmailMessage to one recipient) under `key`; False when that
    key is already queued or sent."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                key=key,
                kind=kind,
                subscription=subscription,
                recipient=message.to[0],
                subject=message.subject[:300],
                fingerprint=fingerprint,
                message=message.message().as_bytes(),
            )
    except IntegrityError:
        return False
    return True


def record_refusal(key, kind, recipient, subject, why, subscription=None):
    """A report that must not be sent (the recipient may not see the unit), shown as failed."""
    Delivery.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "subscription": subscription,
            "recipient": recipient,
            "subject": subject[:300],
            "message": b"",
            "status": DeliveryStatus.FAILED,
            "last_error": why,
        },
    )


def _due(now):
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    return pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _attempt(delivery, connection, now):
    try:
        sent = connection.send_messages([StoredMessage(delivery)])
        if not sent:
            raise OSError("the mail server accepted no recipient")
    except Exception as error:  # any failure of the server or the network: retried
        delivery.attempts += 1
        delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= settings.REPORT_SEND_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            logger.error("Email %s to %s failed: %s", delivery.key, delivery.recipient, error)
        else:
            wait = settings.REPORT_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return False
    delivery.attempts += 1
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return True


def send_due(now=None):
    """Send every delivery that is due; (sent, failed attempts)."""
    now = now or timezone.now()
    sent = failed = 0
    for pk in list(_due(now).values_list("pk", flat=True)):
        with transaction.atomic():
            # One worker per row: another one sending at the same time skips it.
            delivery = _due(now).select_for_update(skip_locked=True).filter(pk=pk).first()
            if delivery is None:
                continue
            connection = get_connection(fail_silently=False)
            if _attempt(delivery, connection, now):
                sent += 1
            else:
                failed += 1
    return sent, failed


def send_again(deliveries):
    """The admin's "send again": failed deliveries that have a message go back to the queue."""
    return (
        deliveries.filter(status=DeliveryStatus.FAILED)
        .exclude(message=b"")
        .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None)
    )
