"""Admin for the power company, its branches, and which branch a user works for."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from .. import permissions
from ..models import Branch, Company, StaffProfile
from . import territory as territory_admin
from .scoping import BranchScopedAdmin, accent_insensitive


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "customer_code_prefix", "province"]
    list_select_related = ["province"]
    search_fields = ["code", "customer_code_prefix", *accent_insensitive("name")]
    autocomplete_fields = ["province"]

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
