"""Admin for targets: managers set them; branch staff see their branch's and the company's."""

from django.contrib import admin
from django.db.models import Q

from .. import permissions
from ..models import Target
from .history import HistoryAdmin
from .scoping import ObjectScopeMixin, ScopedChoicesMixin, accent_insensitive


@admin.register(Target)
class TargetAdmin(ObjectScopeMixin, ScopedChoicesMixin, HistoryAdmin):
    list_display = ["period", "company", "branch", "rate"]
    list_filter = [
        ("company", admin.RelatedOnlyFieldListFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["company", "branch"]
    search_fields = ["branch__code", *accent_insensitive("branch__name", "company__name")]
    date_hierarchy = "period"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return qs
        return qs.filter(
            Q(branch__in=permissions.visible_branches(user))
            | Q(branch__isnull=True, company__in=permissions.visible_companies(user))
        )

    def _may_see(self, request, obj):
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "company":
            kwargs["queryset"] = permissions.visible_companies(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
