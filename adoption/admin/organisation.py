"""Admin for the corporation, its power companies, their branches, and which branch a user
works for.

A company's end and successor change only through the merge action (from a month, through
adoption.territory), as a branch's company and name do: an edit in place would rewrite the
months before it."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .. import permissions
from ..models import Branch, Company, Corporation, StaffProfile
from . import territory as territory_admin
from .scoping import BranchScopedAdmin, accent_insensitive


@admin.display(description=_("valid to"), ordering="valid_to")
def last_day(company):
    return f"{company.valid_to:%d/%m/%Y}" if company.valid_to else "—"


class CompanyInline(admin.TabularInline):
    """The corporation's companies, with when each ended and into which: shown, not edited
    here (a merge goes through the company list's action)."""

    model = Company
    fields = ["code", "name", "customer_code_prefix", last_day, "merged_into"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Corporation)
class CorporationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "current_companies"]
    search_fields = ["code", *accent_insensitive("name")]
    inlines = [CompanyInline]

    def get_queryset(self, request):
        corporations = super().get_queryset(request)
        if not request.user.is_superuser:
            visible = permissions.visible_companies(request.user)
            corporations = corporations.filter(pk__in=visible.values("corporation_id"))
        return corporations.annotate(
            current=Count("companies", filter=Q(companies__valid_to__isnull=True))
        )

    def get_readonly_fields(self, request, obj=None):
        # The code names the corporation in files and settings: fixed once created.
        return ["code"] if obj else []

    @admin.display(description=_("current companies"), ordering="current")
    def current_companies(self, obj):
        return obj.current


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "customer_code_prefix",
        "province",
        "corporation",
        last_day,
        "merged_into",
    ]
    list_select_related = ["province", "corporation", "merged_into"]
    search_fields = ["code", "customer_code_prefix", *accent_insensitive("name")]
    autocomplete_fields = ["province"]
    readonly_fields = ["valid_to", "merged_into"]
    actions = [territory_admin.merge_companies]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(pk__in=permissions.visible_companies(request.user))
        )


@admin.register(Branch)
class BranchAdmin(BranchScopedAdmin):
    branch_path = "pk"
    list_display = ["code", "name", "company", "district"]
    list_filter = [("company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["company", "district"]
    search_fields = ["code", *accent_insensitive("name", "district__name")]
    autocomplete_fields = ["district"]
    actions = [territory_admin.change_branches]

    def branch_id_of(self, obj):
        return obj.pk

    def get_readonly_fields(self, request, obj=None):
        # Company and name change from a date, through the action: an edit here would
        # rewrite the months before it.
        return ["company", "name", "history"] if obj else []

    @admin.display(description=_("versions and communes served"))
    def history(self, obj):
        return territory_admin.branch_history(obj)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "branch"]
    list_filter = [
        ("company", admin.RelatedOnlyFieldListFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["user", "company", "branch"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(company__in=permissions.visible_companies(request.user))
        )


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1


# The user page also sets the user's company and branch, so a new staff user is one form.
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = [*UserAdmin.list_display, "staff_profile__branch"]
    list_select_related = ["staff_profile__branch"]
