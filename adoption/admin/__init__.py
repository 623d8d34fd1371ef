"""Django admin, one module per area of the domain."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401
    areas,
    channels,
    closing,
    customers,
    imports,
    notifications,
    organisation,
    outreach,
    payments,
    plans,
    targets,
    territory,
)

admin.site.site_header = _("powerco administration")
admin.site.site_title = _("powerco")
admin.site.index_title = _("Data administration")
