"""Admin for outreach activities: branch staff add and change their own branch's only."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from .. import permissions
from ..models import OutreachActivity, OutreachRegistration
from ..models.outreach import registration_branch_error
from .history import HistoryAdmin
from .scoping import BranchScopedAdmin, ScopedChoicesMixin, accent_insensitive


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


class RegistrationInline(ScopedChoicesMixin, admin.TabularInline):
    model = OutreachRegistration
    formset = RegistrationFormSet
    autocomplete_fields = ["customer"]
    extra = 0


@admin.register(OutreachActivity)
class OutreachActivityAdmin(BranchScopedAdmin, HistoryAdmin):
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

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        branch = permissions.staff_branch(request.user)
        if branch is not None:
            initial.setdefault("branch", branch.pk)
        return initial

    def has_change_permission(self, request, obj=None):
        # Branch staff get the same 7-day window on their own entries as on the outreach pages.
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and permissions.is_branch_staff(request.user):
            return permissions.can_edit_outreach(request.user, obj)
        return allowed

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(OutreachRegistration)
class OutreachRegistrationAdmin(BranchScopedAdmin):
    branch_path = "activity__branch"
    list_display = ["customer", "activity", "activity__branch"]
    list_select_related = ["customer", "activity__branch", "activity__commune"]
    search_fields = ["customer__code", *accent_insensitive("customer__name")]
    autocomplete_fields = ["activity", "customer"]
    date_hierarchy = "activity__date"
