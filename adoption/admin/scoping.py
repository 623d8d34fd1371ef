"""Admin classes whose rows belong to a branch: every user sees only what
adoption.permissions lets them see, in lists, object URLs, history and FK choices."""

from django.contrib import admin

from .. import permissions


class ReadOnlyMixin:
    """Records shown, never typed in, changed or deleted here: the service that writes them
    (the territory actions, closing a month) is the only way in."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedChoicesMixin:
    """Foreign-key choices come through the related model's admin queryset, so a form
    cannot be posted with another branch's branch, customer or activity."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, BranchScopedAdmin):
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ObjectScopeMixin:
    """Object-level checks: they guard the URLs the queryset does not cover (history, revert).

    The admin class says in _may_see(request, obj) whether the user may see this object."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_see(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_see(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_see(request, obj)


class StaffEntryMixin:
    """Records branch staff enter (outreach activities, visit plans): a new one starts on the
    user's own branch, and records who entered it."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        branch = permissions.staff_branch(request.user)
        if branch is not None:
            initial.setdefault("branch", branch.pk)
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class BranchScopedAdmin(ObjectScopeMixin, ScopedChoicesMixin, admin.ModelAdmin):
    # Lookup path from the model to its Branch.
    branch_path = "branch"

    def get_queryset(self, request):
        return permissions.for_user(super().get_queryset(request), request.user, self.branch_path)

    def branch_id_of(self, obj):
        *hops, last = self.branch_path.split("__")
        for name in hops:
            obj = getattr(obj, name)
        return getattr(obj, f"{last}_id")

    def _may_see(self, request, obj):
        return obj is None or permissions.may_see_branch(request.user, self.branch_id_of(obj))


def accent_insensitive(*fields):
    """Search fields matched without accents: ("name",) -> ["name__unaccent"]."""
    return [f"{field}__unaccent" for field in fields]
