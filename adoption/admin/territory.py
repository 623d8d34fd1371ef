"""Admin for the dated organisation and territory facts.

The facts are shown, never edited in place: a plain edit would rewrite history. Changes go
through the actions on branches and customers, which call adoption.territory and
adoption.customer_places (dated, checked, one transaction)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .. import customer_places, territory
from ..choices import AreaLevel
from ..models import AdminArea, BranchTerritory, BranchVersion, Company, CustomerPlacement
from ..month_forms import MonthField
from ..months import month_label
from .scoping import BranchScopedAdmin, ReadOnlyMixin


class ReadOnlyFactAdmin(ReadOnlyMixin, BranchScopedAdmin):
    pass


@admin.register(BranchVersion)
class BranchVersionAdmin(ReadOnlyFactAdmin):
    list_display = ["branch", "name", "company", "valid_from", "valid_to"]
    list_filter = [("company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["branch", "company"]


@admin.register(BranchTerritory)
class BranchTerritoryAdmin(ReadOnlyFactAdmin):
    list_display = ["commune", "branch", "valid_from", "valid_to"]
    list_filter = [("branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["branch", "commune"]
    search_fields = ["commune__name", "commune__code"]


@admin.register(CustomerPlacement)
class CustomerPlacementAdmin(ReadOnlyFactAdmin):
    branch_path = "customer__branch"
    list_display = ["customer", "commune", "village", "valid_from", "valid_to"]
    list_select_related = ["customer", "commune", "village"]
    search_fields = ["customer__code"]
    show_full_result_count = False


def _span(fact):
    end = f"{fact.valid_to:%d/%m/%Y}" if fact.valid_to else _("today")
    return f"{fact.valid_from:%d/%m/%Y} – {end}"


def history_table(rows):
    """(span, text) rows as a small list for a read-only admin field."""
    return format_html_join("", "<div>{}: {}</div>", rows) or "—"


class BranchChangeForm(forms.Form):
    on = MonthField(label=_("From month (YYYY-MM)"))
    company = forms.ModelChoiceField(Company.objects.all(), label=_("New company"), required=False)
    name = forms.CharField(label=_("New name"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        # An unknown company has its own error already.
        if (
            "company" not in self.errors
            and not data.get("company")
            and not data.get("name", "").strip()
        ):
            raise ValidationError(_("Choose a new company, a new name, or both."))
        return data


class CompanyMergeForm(forms.Form):
    on = MonthField(label=_("From month (YYYY-MM)"))
    into = forms.ModelChoiceField(
        Company.objects.filter(valid_to__isnull=True), label=_("Merged into")
    )


class CustomerMoveForm(forms.Form):
    on = MonthField(label=_("From month (YYYY-MM)"))
    commune = forms.ModelChoiceField(
        AdminArea.objects.filter(level=AreaLevel.COMMUNE).order_by("name"), label=_("Commune")
    )
    village = forms.ModelChoiceField(
        AdminArea.objects.filter(level=AreaLevel.VILLAGE).order_by("name"),
        label=_("Village"),
        required=False,
    )


def dated_action(request, queryset, form_class, title, change):
    """An admin action with an intermediate form: shown first, applied on its confirmation.

    change(obj, form.cleaned_data) changes one selected object; all of them change in one
    transaction, and a ValidationError rolls it all back and is shown on the form."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            with transaction.atomic():
                for obj in queryset:
                    change(obj, form.cleaned_data)
            count = queryset.count()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Changed %(count)s from %(month)s.")
                % {"count": count, "month": month_label(form.cleaned_data["on"])},
            )
            return None
    return TemplateResponse(
        request,
        "admin/adoption/dated_action.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "form": form,
            "objects": queryset,
            "action": request.POST.get("action"),
            "opts": queryset.model._meta,
        },
    )


@admin.action(
    description=_("Move to another company or rename, from a month"), permissions=["change"]
)
def change_branches(modeladmin, request, queryset):
    def change(branch, data):
        if data["company"]:
            territory.transfer_branch(branch, data["company"], data["on"])
        if data["name"].strip():
            territory.rename_branch(branch, data["name"], data["on"])

    return dated_action(
        request, queryset, BranchChangeForm, _("Move or rename branches from a month"), change
    )


@admin.action(description=_("Merge into another company, from a month"), permissions=["change"])
def merge_companies(modeladmin, request, queryset):
    def change(company, data):
        territory.merge_company(company, data["into"], data["on"])

    return dated_action(
        request, queryset, CompanyMergeForm, _("Merge companies into another from a month"), change
    )


@admin.action(description=_("Move to another commune, from a month"), permissions=["change"])
def move_customers(modeladmin, request, queryset):
    def change(customer, data):
        customer_places.move_customer(customer, data["commune"], data["village"], data["on"])

    return dated_action(
        request, queryset, CustomerMoveForm, _("Move customers from a month"), change
    )


def branch_history(obj):
    versions = BranchVersion.objects.filter(branch=obj).select_related("company")
    served = BranchTerritory.objects.filter(branch=obj).select_related("commune")
    return history_table(
        [(_span(v), f"{v.name} ({v.company})") for v in versions]
        + [(_span(t), t.commune) for t in served]
    )


def customer_history(obj):
    rows = CustomerPlacement.objects.filter(customer=obj).select_related("commune", "village")
    return history_table(
        [(_span(p), ", ".join(str(a) for a in (p.village, p.commune) if a)) for p in rows]
    )
