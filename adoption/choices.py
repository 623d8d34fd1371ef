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
    BANK = "bank", _("Bank transfer or auto-debit")
    EWALLET = "ewallet", _("E-wallet or payment intermediary")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    AGENT_COUNTER = "agent_counter", _("Post office or store counter")
    COMPANY_COUNTER = "company_counter", _("Power company counter")
    COLLECTOR = "collector", _("Cash collector")


# Kinds where the customer hands over banknotes to the power company itself.
CASH_KINDS = frozenset({ChannelKind.COMPANY_COUNTER, ChannelKind.COLLECTOR})


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PAYMENTS = "payments", _("Payments")


class ImportStatus(models.TextChoices):
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
