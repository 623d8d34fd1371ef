"""Subscriptions to a unit's monthly figures, alert mutes, and the outbox of every email sent.

An email is written once, when it is decided (its MIME bytes kept in the Delivery row), and
sent from the row: a send that fails is retried from the same bytes, so nothing is lost and the
admin shows what was sent, what failed and why. A Delivery's key is unique: the same
occurrence (a month's report, an alert's run of months) is never queued twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .areas import AdminArea
from .organisation import Branch, Company


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("When a month is complete")
    WEEKLY = "weekly", _("Weekly during a campaign")


class AlertKind(models.TextChoices):
    BELOW_PACE = "below_pace", _("Below the pace needed, two months running")
    BACK_TO_CASH = "back_to_cash", _("Back-to-cash customers above the threshold")
    MISSING_FILE = "missing_file", _("Expected partner file missing")
    VALIDATION = "validation", _("Validation rules failing at import")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Subscription(models.Model):
    """A recipient (a user, or an address) and the unit whose figures they receive."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_subscriptions",
    )
    email = models.EmailField(_("email address"), blank=True)
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.CASCADE)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, null=True, blank=True
    )
    commune = models.ForeignKey(
        AdminArea,
        verbose_name=_("commune"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        limit_choices_to={"level": "commune"},
    )
    cadence = models.CharField(
        _("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    campaign_start = models.DateField(_("campaign from"), null=True, blank=True)
    campaign_end = models.DateField(_("campaign to"), null=True, blank=True)
    language = models.CharField(
        _("email language"), max_length=5, choices=settings.LANGUAGES, default="vi"
    )
    alerts = models.BooleanField(_("also send alerts"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            # A user or an address: exactly one.
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(email=""))
                | (Q(user__isnull=True) & ~Q(email="")),
                name="subscription_user_or_email",
            ),
            # A commune is always read inside its branch.
            models.CheckConstraint(
                condition=Q(commune__isnull=True) | Q(branch__isnull=False),
                name="subscription_commune_in_branch",
            ),
            models.CheckConstraint(
                condition=Q(cadence="monthly")
                | (
                    Q(campaign_start__isnull=False)
                    & Q(campaign_end__isnull=False)
                    & Q(campaign_end__gte=models.F("campaign_start"))
                ),
                name="subscription_weekly_has_campaign",
            ),
        ]

    def __str__(self):
        return f"{self.address} – {self.unit}"

    @property
    def address(self):
        return self.user.email if self.user_id else self.email

    @property
    def unit(self):
        return self.commune or self.branch or self.company


class AlertMute(models.Model):
    """A recipient who asked not to receive one kind of alert."""

    email = models.EmailField(_("email address"))
    kind = models.CharField(_("alert kind"), max_length=20, choices=AlertKind.choices)
    created_at = models.DateTimeField(_("muted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("muted alert")
        verbose_name_plural = _("muted alerts")
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="alert_mute_once"),
        ]

    def __str__(self):
        return f"{self.email}: {self.get_kind_display()}"


class Delivery(models.Model):
    """One email: decided once (its key), written once (its bytes), sent until it goes."""

    key = models.CharField(_("occurrence key"), max_length=200, unique=True)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(_("kind"), max_length=20)
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    # What the email says, so a report of the same figures is not sent twice.
    fingerprint = models.CharField(_("figures fingerprint"), max_length=64, blank=True)
    message = models.BinaryField(_("message (MIME)"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="delivery_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"
