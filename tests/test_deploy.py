"""The deployment files: docker-compose.yml validated by docker-compose, the Dockerfile and
.env.example checked for what the operations guide promises."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
CI = os.environ.get("CI") == "true"


@pytest.fixture
def docker_compose():
    path = shutil.which("docker-compose")
    if path is None:
        message = (
            "docker-compose is not installed (Debian package docker-compose; "
            "`scripts/system-deps.sh deploy` installs it)"
        )
        if CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return path


@pytest.fixture
def project(tmp_path):
    """A copy of the compose file with .env.example as its .env, as an operator starts."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return tmp_path


def _compose(docker_compose, project, *args):
    return subprocess.run(
        [docker_compose, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(project)},
        timeout=60,
    )


def test_the_compose_file_is_valid_with_the_example_environment(docker_compose, project):
    result = _compose(docker_compose, project, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_it_runs_postgresql_15_with_a_named_volume_and_a_health_check(docker_compose, project):
    services = _compose(docker_compose, project, "config", "--services").stdout.split()
    volumes = _compose(docker_compose, project, "config", "--volumes").stdout.split()
    config = _compose(docker_compose, project, "config").stdout
    assert sorted(services) == ["db", "redis", "web", "worker"]
    assert "pgdata" in volumes
    assert "image: postgres:15" in config
    assert "pgdata:/var/lib/postgresql/data" in config
    assert "pg_isready" in config


def test_the_web_app_waits_for_a_healthy_database_and_reads_dot_env(docker_compose, project):
    config = _compose(docker_compose, project, "config").stdout
    assert "condition: service_healthy" in config
    assert "DATABASE_URL: postgres://powerco:change-me@db:5432/powerco" in config
    # Values from .env reach the container.
    assert "ALLOWED_HOSTS: powerco.example.vn" in config
    assert "docker/healthcheck.py" in config


def test_it_refuses_to_start_without_a_database_password(docker_compose, project):
    env = (project / ".env").read_text()
    (project / ".env").write_text(re.sub(r"(?m)^POSTGRES_PASSWORD=.*$", "", env))
    result = _compose(docker_compose, project, "config", "-q")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_the_validator_rejects_a_broken_compose_file(docker_compose, project):
    compose = (project / "docker-compose.yml").read_text()
    (project / "docker-compose.yml").write_text(compose.replace("depends_on:", "depends_onn:"))
    result = _compose(docker_compose, project, "config", "-q")
    assert result.returncode != 0


# The Dockerfile: no engine runs here, so its promises are read from the file; the command it
# runs is started for real in test_production_server.py.


def _dockerfile():
    return (ROOT / "Dockerfile").read_text()


def dockerfile_cmd():
    """The image's CMD (exec form), as a list."""
    match = re.search(r"(?m)^CMD (\[.*\])\s*$", _dockerfile())
    return json.loads(match.group(1))


def test_the_image_builds_psycopg2_in_a_build_stage_and_runs_on_libpq5():
    stages = re.split(r"(?m)^FROM ", _dockerfile())[1:]
    assert [stage.split()[0] for stage in stages] == ["python:3.11-slim"] * 2
    build, runtime = stages
    assert "libpq-dev" in build and "gcc" in build
    assert "libpq5" in runtime and "libpq-dev" not in runtime and "gcc" not in runtime
    assert "uv sync --frozen --no-dev" in build


def test_the_image_collects_static_files_and_runs_as_a_non_root_user():
    dockerfile = _dockerfile()
    assert "manage.py collectstatic" in dockerfile
    users = re.findall(r"(?m)^USER (\S+)", dockerfile)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'(?m)^ENTRYPOINT \["/app/docker/entrypoint.sh"\]', dockerfile)
    assert dockerfile_cmd()[0] == "gunicorn"


def test_everything_the_image_copies_exists_and_is_not_ignored():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for source in re.findall(r"(?m)^COPY (?!--from)(.+) \S+$", _dockerfile()):
        for name in source.split():
            assert (ROOT / name).exists(), name
            assert name not in ignored, name


def test_the_entrypoint_migrates_then_runs_the_command():
    script = (ROOT / "docker/entrypoint.sh").read_text()
    assert os.access(ROOT / "docker/entrypoint.sh", os.X_OK)
    assert script.index("manage.py migrate --no-input") < script.index('exec "$@"')


def test_the_example_environment_holds_no_usable_secret():
    env = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["DEBUG"] == "0"
    assert env["SECRET_KEY"] == "change-me"
    assert env["POSTGRES_PASSWORD"] == "change-me"
    # The settings refuse the example key, so a copied .env cannot go live unchanged.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "0", "SECRET_KEY": env["SECRET_KEY"]},
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is the development default" in result.stderr


def test_dot_env_is_never_committed():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_worker_runs_the_same_image_on_redis_after_the_web_has_migrated(
    docker_compose, project
):
    config = _compose(docker_compose, project, "config").stdout
    worker = config[config.index("  worker:") :]
    assert "image: powerco:latest" in worker
    assert "run_huey" in worker
    assert "REDIS_URL: redis://redis:6379/0" in worker
    assert "import-reports:/app/import-reports" in worker
    web = config[config.index("  web:") : config.index("  worker:")]
    assert "REDIS_URL: redis://redis:6379/0" in web
