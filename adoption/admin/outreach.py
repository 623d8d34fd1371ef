"""Admin for outreach activities: branch staff add and change their own branch's only."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from .. import permissions
from ..models import OutreachActivity, OutreachRegistration
from ..models.areas import place_errors
from ..models.outreach import registration_branch_error
from .history import HistoryAdmin
from .scoping import BranchScopedAdmin, ScopedChoicesMixin, StaffEntryMixin, accent_insensitive


class RegistrationFormSet(BaseInlineFormSet):
    # On the add page the activity is not saved yet, so the model's own check cannot run.
    def clean(self):
        super().clean()
        for form in self.forms:
            customer = getattr(form, "cleaned_data", {}).get("customer")
            if customer is not None:
                error = registration_branch_error(customer, self.instance.branch_id)
                if error:
                    form.add_error("customer", error)


class OutreachAdminForm(forms.ModelForm):
    """The model's rules (dates, counts, places), and for branch staff their own places.

    The admin's commune search covers the whole province: branch staff may only choose the
    communes and villages their branch serves, as on the entry page (branch_places).
    """

    user = None  # set by OutreachActivityAdmin.get_form (the admin also gives the Meta)

    def clean(self):
        cleaned = super().clean()
        branch = permissions.staff_branch(self.user)
        if branch is None or self.user.is_superuser:
            return cleaned
        commune, village = cleaned.get("commune"), cleaned.get("village")
        if place_errors(branch, commune, village):
            return cleaned  # the model says why, naming the district
        communes, villages = permissions.branch_places(branch)
        if commune is not None and not communes.filter(pk=commune.pk).exists():
            self.add_error("commune", _("This place is not in your branch's area."))
        if village is not None and not villages.filter(pk=village.pk).exists():
            self.add_error("village", _("This place is not in your branch's area."))
        return cleaned


class RegistrationAdminForm(forms.ModelForm):
    """A registration on its own admin page: branch staff pick one of their recent entries."""

    user = None  # set by OutreachRegistrationAdmin.get_form (the admin also gives the Meta)

    def clean(self):
        cleaned = super().clean()
        activity = cleaned.get("activity")
        if activity is not None and not permissions.can_change_registrations(self.user, activity):
            self.add_error("activity", _("You can change your own entries for 7 days only."))
        return cleaned


def _with_user(form, user):
    return type(form.__name__, (form,), {"user": user})


class RegistrationInline(ScopedChoicesMixin, admin.TabularInline):
    model = OutreachRegistration
    formset = RegistrationFormSet
    autocomplete_fields = ["customer"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and permissions.can_change_registrations(
            request.user, obj
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and permissions.can_change_registrations(
            request.user, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and permissions.can_change_registrations(
            request.user, obj
        )


@admin.register(OutreachActivity)
class OutreachActivityAdmin(StaffEntryMixin, BranchScopedAdmin, HistoryAdmin):
    list_display = [
        "date",
        "branch",
        "commune",
        "village",
        "partner",
        "households_reached",
        "registrations",
        "accounts_opened",
        "gifts",
    ]
    list_filter = [("branch", admin.RelatedOnlyFieldListFilter), "partner", "date"]
    list_select_related = ["branch", "commune", "village", "partner"]
    search_fields = [
        "branch__code",
        *accent_insensitive(
            "branch__name", "commune__name", "village__name", "staff_names", "notes"
        ),
    ]
    autocomplete_fields = ["commune", "village"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [RegistrationInline]
    form = OutreachAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _with_user(super().get_form(request, obj, change, **kwargs), request.user)

    def has_change_permission(self, request, obj=None):
        # Branch staff get the same 7-day window on their own entries as on the outreach pages.
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and permissions.is_branch_staff(request.user):
            return permissions.can_edit_outreach(request.user, obj)
        return allowed


@admin.register(OutreachRegistration)
class OutreachRegistrationAdmin(BranchScopedAdmin):
    branch_path = "activity__branch"
    list_display = ["customer", "activity", "activity__branch"]
    list_select_related = ["customer", "activity__branch", "activity__commune"]
    search_fields = ["customer__code", *accent_insensitive("customer__name")]
    autocomplete_fields = ["activity", "customer"]
    date_hierarchy = "activity__date"
    form = RegistrationAdminForm

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and permissions.can_change_registrations(request.user, obj and obj.activity)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and permissions.can_change_registrations(request.user, obj and obj.activity)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _with_user(super().get_form(request, obj, change, **kwargs), request.user)
