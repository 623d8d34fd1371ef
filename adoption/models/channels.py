"""Payment channels, the partner organisations behind them, and how each channel is
classified (kind, cash or not) over time."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CASH_KINDS, NONCASH_KINDS, ChannelKind
from .validity import overlapping

# The database's half of "kind and cash flag cannot contradict" (choices.CASH_KINDS).
KIND_AGREES_WITH_CASH = ~Q(kind__in=sorted(CASH_KINDS), is_cash=False) & ~Q(
    kind__in=sorted(NONCASH_KINDS), is_cash=True
)


def contradiction(kind, is_cash):
    """The message saying why this kind cannot have this cash flag, or None if it can."""
    label = ChannelKind(kind).label if kind in ChannelKind.values else kind
    if kind in CASH_KINDS and not is_cash:
        return _("A channel of kind “%(kind)s” is always cash.") % {"kind": label}
    if kind in NONCASH_KINDS and is_cash:
        return _("A channel of kind “%(kind)s” is never cash.") % {"kind": label}
    return None


class Partner(models.Model):
    """A bank, e-wallet, telecom or post office that collects bills for the company."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PaymentChannel(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    is_cash = models.BooleanField(
        _("cash"),
        default=False,
        help_text=_("Payments through this channel count as cash in the adoption figures."),
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="channels",
    )
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    fee_per_transaction = models.PositiveIntegerField(_("fee per transaction (VND)"), default=0)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment channel")
        verbose_name_plural = _("payment channels")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_start__isnull=True)
                | Q(contract_end__gte=F("contract_start")),
                name="channel_contract_range",
                violation_error_message=_("The contract ends before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(fee_per_transaction__gte=0),
                name="channel_fee_not_negative",
                violation_error_message=_("The fee cannot be negative."),
            ),
            models.CheckConstraint(
                condition=KIND_AGREES_WITH_CASH,
                name="channel_kind_agrees_with_cash",
                violation_error_message=_("The kind and the cash flag contradict each other."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        message = contradiction(self.kind, self.is_cash)
        if message:
            raise ValidationError({"is_cash": message})


class ChannelClassification(models.Model):
    """A channel's kind and cash flag for the bill periods valid_from..valid_to.

    A channel's first classification is valid from validity.BEGINNING: it holds for every
    month before any reclassification, whatever the contract dates say (a payment recorded
    outside the contract still has one).

    The fill reads the one in force for each bill period, so changing a channel's class from
    a month on leaves earlier months' figures alone. PaymentChannel.kind and is_cash repeat
    the newest one (the one still in force, valid_to empty). Written only by
    adoption.channel_history (and, for a new channel, by the post_save signal there).
    """

    channel = models.ForeignKey(
        PaymentChannel,
        verbose_name=_("payment channel"),
        on_delete=models.CASCADE,
        related_name="classifications",
    )
    valid_from = models.DateField(_("valid from"), help_text=_("First day of a month."))
    valid_to = models.DateField(
        _("valid to"),
        null=True,
        blank=True,
        help_text=_("Last day of a month; empty: still valid."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    is_cash = models.BooleanField(_("cash"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("channel classification")
        verbose_name_plural = _("channel classifications")
        ordering = ["channel", "valid_from"]
        permissions = [
            ("restate_channelclassification", _("Can restate a channel's past classification"))
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__day=1),
                name="classification_from_month_start",
                violation_error_message=_("A classification starts on the first day of a month."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="classification_range",
                violation_error_message=_("A classification ends before it starts."),
            ),
            models.CheckConstraint(
                condition=KIND_AGREES_WITH_CASH,
                name="classification_kind_agrees_with_cash",
                violation_error_message=_("The kind and the cash flag contradict each other."),
            ),
            models.UniqueConstraint(
                fields=["channel", "valid_from"],
                name="classification_unique_start",
                violation_error_message=_("This channel already has a classification from then."),
            ),
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(valid_to__isnull=True),
                name="classification_one_open",
                violation_error_message=_("This channel already has a classification in force."),
            ),
        ]

    def __str__(self):
        end = f"{self.valid_to:%m/%Y}" if self.valid_to else "…"
        return f"{self.channel} {self.valid_from:%m/%Y}–{end}: {self.get_kind_display()}"

    def clean(self):
        message = contradiction(self.kind, self.is_cash)
        if message:
            raise ValidationError({"is_cash": message})
        # PostgreSQL's exclusion constraint (migration 0009) says the same; this gives
        # SQLite the rule and every database the message.
        if self.channel_id and self.valid_from:
            others = ChannelClassification.objects.filter(
                overlapping(self.valid_from, self.valid_to), channel_id=self.channel_id
            ).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError(_("This channel already has a classification then."))
