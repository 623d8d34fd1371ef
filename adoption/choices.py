"""Named choices used by models, forms, filters and importers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")


class CustomerType(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    BUSINESS = "business", _("Business")
    PUBLIC = "public", _("Public administration")
    AGRICULTURE = "agriculture", _("Agriculture")
    INDUSTRY = "industry", _("Industry and construction")
    OTHER = "other", _("Other")


class ChannelKind(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    AUTO_DEBIT = "auto_debit", _("Auto-debit")
    EWALLET = "ewallet", _("E-wallet or payment intermediary")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    POST_OFFICE = "post_office", _("Post office")
    AGENT_COUNTER = "agent_counter", _("Agent or store counter")
    COMPANY_COUNTER = "company_counter", _("Power company counter")
    COLLECTOR = "collector", _("Cash collector")


# Which cash flag a kind allows (docs/metrics.md). The customer hands banknotes to the power
# company itself at its counters and to its collectors: always cash. Banks, auto-debit,
# e-wallets and mobile money move money between accounts: never cash. A post office or an
# agent takes banknotes on the company's behalf and pays it by transfer, so the company decides
# which it counts them as (and may change its mind from a month on).
CASH_KINDS = frozenset({ChannelKind.COMPANY_COUNTER, ChannelKind.COLLECTOR})
NONCASH_KINDS = frozenset(
    {ChannelKind.BANK, ChannelKind.AUTO_DEBIT, ChannelKind.EWALLET, ChannelKind.MOBILE_MONEY}
)


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PAYMENTS = "payments", _("Payments")
    REVERSALS = "reversals", _("Reversals")


class ImportStatus(models.TextChoices):
    # An admin upload is first checked by the worker (the preview), then waits for the
    # admin's confirmation, then is imported.
    PREVIEW_QUEUED = "preview_queued", _("Waiting for the worker to check the file")
    PREVIEWING = "previewing", _("Checking the file")
    PREVIEWED = "previewed", _("Checked: waiting for confirmation")
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    DRY_RUN = "dry_run", _("Dry run")
    CANCELLED = "cancelled", _("Cancelled")


class Role(models.TextChoices):
    """Names of the auth groups created by migration 0002."""

    MANAGERS = "Managers", _("Managers")
    BRANCH_STAFF = "Branch staff", _("Branch staff")
    CHANNEL_ADMINS = "Channel admins", _("Channel admins")


class ReversalKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    FAILED_DEBIT = "failed_debit", _("Failed debit")


class MonthStatus(models.TextChoices):
    """A company's month, in the order it moves (adoption.closing)."""

    OPEN = "open", _("Open (provisional)")
    COMPLETE = "complete", _("Complete")
    BRANCH_APPROVED = "branch_approved", _("Approved by the branches")
    COMPANY_APPROVED = "company_approved", _("Approved by the company")
    LOCKED = "locked", _("Locked")


class MonthAction(models.TextChoices):
    COMPLETED = "completed", _("Marked complete")
    CLOSED_BY_ADMIN = "closed_by_admin", _("Closed by an admin with sources missing")
    BRANCH_APPROVED = "branch_approved", _("Approved by the branch")
    COMPANY_APPROVED = "company_approved", _("Approved by the company")
    LOCKED = "locked", _("Locked")
    UNLOCKED = "unlocked", _("Unlocked")


class TotalsSource(models.TextChoices):
    FOOTER = "footer", _("The file's footer")
    TOTALS_FILE = "totals_file", _("A totals file")
    TYPED = "typed", _("Typed in")


class RuleCode(models.TextChoices):
    """The validation rules (adoption.validation)."""

    OUTSIDE_CONNECTION = "outside_connection", _("Payment outside the connection period")
    REFERENCE_REUSED = "reference_reused", _("Same partner reference in two periods")
    NONCASH_ABOVE_TOTAL = "noncash_above_total", _("More non-cash customers than customers")
    RATE_JUMP = "rate_jump", _("Rate moved more than the allowed points in a month")
    AMOUNT_OUTLIER = "amount_outlier", _("Amount far outside the customer's history")
