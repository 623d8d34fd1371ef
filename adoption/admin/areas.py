"""Admin for the administrative area tree and the 2025 commune successions."""

from django.contrib import admin

from ..models import AdminArea, AreaSuccession
from .scoping import accent_insensitive


@admin.register(AdminArea)
class AdminAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "code", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "valid_to"]
    list_select_related = ["parent"]
    search_fields = ["code", *accent_insensitive("name")]
    autocomplete_fields = ["parent"]
    date_hierarchy = "valid_from"


@admin.register(AreaSuccession)
class AreaSuccessionAdmin(admin.ModelAdmin):
    list_display = ["old_area", "new_area", "effective_on", "is_default"]
    list_filter = ["is_default", "effective_on"]
    list_select_related = ["old_area", "new_area"]
    search_fields = [
        "old_area__code",
        "new_area__code",
        *accent_insensitive("old_area__name", "new_area__name"),
    ]
    autocomplete_fields = ["old_area", "new_area"]
    date_hierarchy = "effective_on"
