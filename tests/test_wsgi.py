"""powerco/wsgi.py, which gunicorn loads once in its master before forking the workers: what a
worker's first request would load is loaded there, without touching the database."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, json, sys
import powerco.wsgi
from django.db import connection
from django.template import engines

loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "templates": sorted(loader.get_template_cache),
    "views": sorted(m for m in sys.modules if m.startswith("adoption.views.")),
    "connected": connection.connection is not None,
    "frozen": gc.get_freeze_count(),
}))
"""


def test_the_master_loads_views_and_templates_and_opens_no_connection():
    env = {
        **os.environ,
        # Nothing listens there: a connection attempt would fail the import.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "DJANGO_SETTINGS_MODULE": "powerco.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert not loaded["connected"]
    # Left to the workers' collector, it would be copied into each of them (powerco/wsgi.py).
    assert loaded["frozen"] > 100_000
    assert {"adoption.views.dashboard", "adoption.views.report"} <= set(loaded["views"])
    for name in ("base.html", "adoption/_overview_body.html", "admin/change_list.html"):
        assert name in loaded["templates"], name
