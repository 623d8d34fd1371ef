import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
# Web requests give up on a database statement after 30 s (powerco/settings.py), so a stuck
# database answers an error page instead of holding every worker.
os.environ.setdefault("DB_STATEMENT_TIMEOUT", "30")
application = get_wsgi_application()


def _warm_up():
    """Load now what the first request of a worker would: the URLconf, which imports every
    view (reports, PDF, spreadsheets: about a second of CPU), and the translation catalogues.
    gunicorn loads this module once in its master (preload_app) and forks the workers from
    it, so a new or recycled worker answers its first request at once; loaded lazily, the
    first request of each of them took a second, and several starting together on two cores
    made requests queue past two seconds. Opens no database connection.

    The templates too: our pages' and the admin's lists and forms, compiled once here and kept
    by the cached loader. Compiled lazily, a new worker's first admin list took 0.6 s (0.12 s
    with them) and its first dashboard page 0.1 s more."""
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 (the import is the point)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Non-cash payment adoption")
    ours = settings.BASE_DIR / "templates"
    for path in ours.rglob("*.html"):
        get_template(path.relative_to(ours).as_posix())
    for name in ADMIN_TEMPLATES:
        get_template(name)


ADMIN_TEMPLATES = [
    f"admin/{name}.html"
    for name in (
        "change_list",
        "change_list_results",
        "change_list_object_tools",
        "change_form",
        "change_form_object_tools",
        "submit_line",
        "pagination",
        "search_form",
        "filter",
        "actions",
        "includes/fieldset",
        "edit_inline/tabular",
        "index",
        "app_list",
        "nav_sidebar",
    )
]


_warm_up()
# What the master loaded is never collected: frozen, the workers' collector leaves it alone.
# Otherwise the first collection in each new worker touched every inherited object, copying
# the master's memory page by page; with gunicorn recycling workers (max_requests), /healthz at
# 16 connections had a p99 of 290-820 ms for it, 24 ms frozen (bench/load.sh). Python's gc
# documentation gives this use of freeze() before fork().
gc.freeze()
