from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import Partner, PaymentChannel


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(PaymentChannel)
class PaymentChannelAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "is_cash", "partner", "active"]
    list_filter = ["kind", "is_cash", "active"]
    search_fields = ["code", "name"]
