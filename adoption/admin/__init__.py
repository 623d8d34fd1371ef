"""Django admin for reference data and partners; one module per area of the domain."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import areas, channels, customers, organisation, outreach, payments, targets  # noqa: F401

admin.site.site_header = _("powerco administration")
admin.site.site_title = _("powerco")
admin.site.index_title = _("Reference data and partners")

# Registers the import record and its upload pages (kept apart: they are not reference data).
from . import imports  # noqa: E402, F401
