import os
import subprocess
import sys

from django.conf import settings

MANAGE = [sys.executable, "manage.py", "check"]


def _check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(MANAGE, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR)


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is the development default" in result.stderr


def test_it_refuses_the_development_key_when_debug_is_off():
    result = _check({"DEBUG": "0", "SECRET_KEY": settings.INSECURE_SECRET_KEY})
    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_it_starts_with_a_real_key_when_debug_is_off():
    result = _check({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr


def test_defaults_are_vietnamese_and_vietnam_time():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_chartjs_bundled_assets_are_not_installed():
    # django-chartjs ships Chart.js 2.9.3 (CVE-2020-7746) and Highcharts; its app stays out.
    assert "chartjs" not in settings.INSTALLED_APPS
