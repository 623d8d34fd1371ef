"""Admin for report emails: what was sent, what failed and why; subscriptions and mutes.

No role is given these models' permissions, so only superusers see them here; managers keep
subscriptions in the app (adoption.views.subscriptions)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import AlertMute, Delivery, Subscription
from ..reports import deliveries


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [
        "key",
        "subscription",
        "kind",
        "recipient",
        "subject",
        "fingerprint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    exclude = ["message"]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the failed emails again"))
    def send_again(self, request, queryset):
        count = deliveries.send_again(queryset)
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cadence", "language", "alerts", "active"]
    list_filter = ["cadence", "active", "company"]
    search_fields = ["email", "user__username", "user__email"]
    raw_id_fields = ["user", "created_by"]


@admin.register(AlertMute)
class AlertMuteAdmin(admin.ModelAdmin):
    list_display = ["email", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email"]
