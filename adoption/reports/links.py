"""Where a unit's report lives: the page and PDF paths, and absolute links for emails."""

from django.conf import settings
from django.urls import reverse


def report_path(unit, pdf=False):
    suffix = "-pdf" if pdf else ""
    if unit.commune is not None:
        args = [unit.branch.code, unit.commune.pk]
        return reverse(f"dashboard:report-commune{suffix}", args=args)
    if unit.branch is not None:
        return reverse(f"dashboard:report-branch{suffix}", args=[unit.branch.code])
    return reverse(f"dashboard:report{suffix}")


def absolute(path, query=""):
    return f"{settings.SITE_URL}{path}" + (f"?{query}" if query else "")
