"""Admin for payment channels and the partners behind them (channel admins keep these).

A channel's kind and cash flag are set when it is created and changed afterwards only through
its "Reclassify from a month" page (adoption.channel_history): the change form shows them
read-only, with the classification and name history.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import channel_history
from ..choices import ChannelKind
from ..models import Partner, PaymentChannel
from ..month_forms import MonthField
from ..months import month_label, this_month
from .history import HistoryAdmin
from .scoping import accent_insensitive


@admin.register(Partner)
class PartnerAdmin(HistoryAdmin):
    list_display = ["code", "name", "website"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["code", *accent_insensitive("name")]


# A classification applies from a bill month: a date in the middle of one says why it is not.
CLASSIFICATION_MONTH = {
    "mid_month": gettext_lazy(
        "A classification changes on the first day of a month; %(date)s is in the middle of "
        "%(month)s."
    )
}
MONTH_HELP = gettext_lazy("YYYY-MM, for example 2025-07.")


class ReclassifyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=ChannelKind.choices)
    is_cash = forms.BooleanField(label=gettext_lazy("cash"), required=False)
    from_period = MonthField(
        label=gettext_lazy("From month"),
        help_text=MONTH_HELP,
        error_messages=CLASSIFICATION_MONTH,
    )
    to_period = MonthField(
        label=gettext_lazy("To month (restatement only)"),
        required=False,
        help_text=gettext_lazy("Empty: from then on."),
        error_messages=CLASSIFICATION_MONTH,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=channel_history.REASON_LENGTH,
        required=False,
        help_text=gettext_lazy("Kept in the history; required to restate past months."),
    )
    restate = forms.BooleanField(
        label=gettext_lazy("Restate past months"),
        required=False,
        help_text=gettext_lazy(
            "Rewrite the classification of months already reported, from the first month (to "
            "the last one, if given). Administrators only."
        ),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


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

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("kind", "is_cash", "classification_history", "name_history")

    def save_model(self, request, obj, form, change):
        """A saved form (the change page, or a past version restored from the history page)
        keeps the classification as it stands: it changes only by reclassifying."""
        if change:
            current = PaymentChannel.objects.filter(pk=obj.pk).values("kind", "is_cash").first()
            if current:
                obj.kind, obj.is_cash = current["kind"], current["is_cash"]
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("classification over time"))
    def classification_history(self, channel):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _("the beginning")
                    if row.valid_from == channel_history.BEGINNING
                    else month_label(row.valid_from),
                    month_label(row.valid_to) if row.valid_to else "…",
                    row.get_kind_display(),
                    _("cash") if row.is_cash else _("non-cash"),
                )
                for row in channel_history.timeline(channel)
            ),
        )
        url = reverse("admin:adoption_paymentchannel_reclassify", args=[channel.pk])
        return format_html(
            '<table class="classification-history"><thead><tr><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a class="button" href="{}">{}</a></p>',
            _("From"),
            _("To"),
            _("kind"),
            _("cash"),
            rows,
            url,
            _("Reclassify from a month"),
        )

    @admin.display(description=gettext_lazy("earlier names"))
    def name_history(self, channel):
        """Each name the channel had and when it took the next one (one channel renamed, such
        as ViettelPay becoming Viettel Money, keeps its payments and figures)."""
        records = channel.history.order_by("history_date", "history_id").values_list(
            "name", "history_date"
        )
        names = []
        for name, when in records:
            if not names or names[-1][0] != name:
                names.append((name, when))
        earlier = [
            (name, f"{names[i + 1][1]:%d/%m/%Y}") for i, (name, _when) in enumerate(names[:-1])
        ]
        if not earlier:
            return "-"
        return format_html_join(
            "", "<div>{} ({})</div>", ((n, _("until %s") % d) for n, d in earlier)
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/reclassify/",
                self.admin_site.admin_view(self.reclassify_view),
                name="adoption_paymentchannel_reclassify",
            ),
            *super().get_urls(),
        ]

    def reclassify_view(self, request, pk):
        """Reclassify from a month (or restate past months): form, then for any change to
        months already reported a confirmation page listing them, then the change."""
        channel = get_object_or_404(PaymentChannel, pk=pk)
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        initial = {"kind": channel.kind, "is_cash": channel.is_cash}
        form = ReclassifyForm(request.POST or None, initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": channel,
            "title": _("Reclassify %s from a month") % channel,
            "form": form,
            "timeline": channel_history.timeline(channel),
            "may_restate": channel_history.may_restate(request.user),
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            args = (channel, data["kind"], data["is_cash"], data["from_period"])
            last = data["to_period"] if data["restate"] else None
            try:
                changes = channel_history.preview(*args, last)
                past = data["restate"] or data["from_period"] < this_month()
                if past and not data["confirmed"]:
                    self._check_allowed(request.user, data)
                    context.update(changes=changes, confirm=True)
                    form.data = {**form.data.dict(), "confirmed": "on"}
                    return self._render(request, context, "reclassify_confirm.html")
                if data["restate"]:
                    channel_history.restate(
                        *args, request.user, data["reason"], to_period=data["to_period"]
                    )
                else:
                    channel_history.reclassify(*args, request.user, data["reason"])
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not do this."))
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(channel)s is classified as %(kind)s, %(cash)s, from %(month)s.")
                    % {
                        "channel": channel,
                        "kind": ChannelKind(data["kind"]).label,
                        "cash": _("cash") if data["is_cash"] else _("non-cash"),
                        "month": month_label(data["from_period"]),
                    },
                )
                return redirect("admin:adoption_paymentchannel_change", channel.pk)
        return self._render(request, context, "reclassify.html")

    @staticmethod
    def _check_allowed(user, data):
        """Refuse before the confirmation page what the change itself would refuse."""
        if data["restate"] and not channel_history.may_restate(user):
            raise PermissionDenied(_("Only an administrator may restate past months."))
        if data["restate"] and not data["reason"].strip():
            raise ValidationError({"reason": _("Say why the past is restated.")})
        if not channel_history.may_restate(user):
            raise PermissionDenied(
                _(
                    "From %(month)s the change would rewrite months already reported; only an "
                    "administrator may do that (restate)."
                )
                % {"month": month_label(data["from_period"])}
            )

    def _render(self, request, context, template):
        return TemplateResponse(request, f"admin/adoption/paymentchannel/{template}", context)


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
