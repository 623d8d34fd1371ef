"""Static files: our vendored Chart.js 4 is collected and used; django-chartjs's bundled
Chart.js 2.9.3 (CVE-2020-7746) and Highcharts never reach collectstatic or a page."""

import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

VENDOR = settings.BASE_DIR / "static" / "vendor" / "chartjs"
DASHBOARD_JS = settings.BASE_DIR / "static" / "adoption" / "dashboard.js"


def test_chartjs_stays_out_of_installed_apps():
    assert "chartjs" not in settings.INSTALLED_APPS


def test_the_vendored_chartjs_is_version_4_with_its_map_and_licence():
    version = (VENDOR / "VERSION").read_text().strip()
    assert version.startswith("4.")
    script = (VENDOR / "chart.umd.js").read_text()
    assert f"Chart.js v{version}" in script[:200]
    # The bundle names its source map; ManifestStaticFilesStorage fails if it is missing.
    assert script.rstrip().endswith("//# sourceMappingURL=chart.umd.js.map")
    assert json.loads((VENDOR / "chart.umd.js.map").read_text())["version"] == 3
    assert "MIT" in (VENDOR / "LICENSE.md").read_text()
    assert version in (VENDOR / "README.md").read_text()


def test_dashboard_js_uses_chartjs_4_option_names():
    script = DASHBOARD_JS.read_text()
    for name in ("scales:", "x:", "y:", "plugins:", "legend", "tooltip:"):
        assert name in script
    # Chart.js 2 names, silently ignored by Chart.js 4.
    for name in ("xAxes", "yAxes", "tooltips"):
        assert name not in script


@pytest.mark.parametrize(
    "storage",
    [
        "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ],
)
def test_collectstatic_works_and_collects_no_chartjs_2_or_highcharts(settings, tmp_path, storage):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": storage}}
    call_command("collectstatic", interactive=False, verbosity=0)
    collected = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    assert not [p for p in collected if "highcharts" in p.lower()]
    assert not [p for p in collected if re.search(r"Chart\.min\.(js|css)", p)]
    assert not [p for p in collected if "excanvas" in p]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert re.fullmatch(
        r"vendor/chartjs/chart\.umd\.[0-9a-f]{12}\.js", manifest["vendor/chartjs/chart.umd.js"]
    )
    assert "vendor/chartjs/chart.umd.js.map" in manifest
    assert "adoption/dashboard.js" in manifest
    # Every Chart.js file collected is ours, version 4.
    for path in collected:
        if path.lower().endswith(".js") and "chart" in path.lower():
            assert path.startswith("vendor/chartjs/chart.umd"), path


@pytest.fixture
def manager_client(client_for, users, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return client_for(users["manager"])


@pytest.mark.parametrize("url", ["/", "/branches/BQ/", "/channels/"])
def test_pages_load_only_our_chartjs_4_and_their_own_script(manager_client, url):
    html = manager_client.get(url).content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["/static/vendor/chartjs/chart.umd.js", "/static/adoption/dashboard.js"]
    assert "Chart.min.js" not in html and "highcharts" not in html.lower()
    assert "//cdn" not in html and "https://" not in html
