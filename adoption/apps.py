from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = _("Non-cash payment adoption")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import dashboard_cache, search, signals, territory  # noqa: F401  (they connect signals)

        search.install()
