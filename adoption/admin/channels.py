"""Admin for payment channels and the partners behind them (channel admins keep these)."""

from django.contrib import admin
from django.db import models

from ..models import Partner, PaymentChannel
from .history import HistoryAdmin
from .scoping import accent_insensitive


@admin.register(Partner)
class PartnerAdmin(HistoryAdmin):
    list_display = ["code", "name", "website"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["code", *accent_insensitive("name")]


@admin.register(PaymentChannel)
class PaymentChannelAdmin(HistoryAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "is_cash",
        "partner",
        "contract_start",
        "contract_end",
        "fee_per_transaction",
        "active",
    ]
    list_filter = ["kind", "is_cash", "active", "partner"]
    list_select_related = ["partner"]
    search_fields = ["code", *accent_insensitive("name", "partner__name")]
    date_hierarchy = "contract_start"
