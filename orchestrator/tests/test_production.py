"""Production serving: gunicorn with DEBUG off serves admin styled and the app's own scripts
and the vendored docs' (WhiteNoise, hashed and compressed files), and `check --deploy` is
clean with settings from the environment."""

import gzip
import importlib.metadata
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import drf_spectacular_sidecar
import pytest
from cryptography.fernet import Fernet
from django.contrib.staticfiles import finders

from core.testing import free_port, live_server, server_command
from orchestrator.tests.test_settings import BASE_DIR, CLEAN_ENV

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "production-" + "x7Kq2" * 12,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "orchestrator.example.com,127.0.0.1",
}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def migrated_with_a_superuser(database_url: str, password: str, **env: str) -> dict:
    """The environment of a project process on `database_url`, once that database is migrated
    and holds the superuser ada with `password`."""
    env = {**CLEAN_ENV, "DATABASE_URL": database_url, "DJANGO_SUPERUSER_PASSWORD": password, **env}
    assert manage("migrate", "--noinput", "-v", "0", env=env).returncode == 0
    made = manage("createsuperuser", "--noinput", "--username", "ada", "--email", "ada@example.com", env=env)
    assert made.returncode == 0, made.stderr
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**CLEAN_ENV, **PRODUCTION})

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.fixture
def gunicorn(tmp_path):
    env = {
        **CLEAN_ENV,
        **PRODUCTION,
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECURE_SSL_REDIRECT": "false",
    }
    assert manage("collectstatic", "--noinput", "-v", "0", env=env).returncode == 0
    assert manage("migrate", "--noinput", "-v", "0", env=env).returncode == 0
    port = free_port()
    server, base = live_server(server_command("gunicorn", port), env, port)
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_gunicorn_with_debug_off_serves_admin_styled(gunicorn):
    page = urllib.request.urlopen(f"{gunicorn}/admin/login/").read().decode()
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)

    assert stylesheet, "admin links a hashed stylesheet"
    request = urllib.request.Request(f"{gunicorn}{stylesheet[1]}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as css:
        assert css.status == 200
        assert css.headers["Content-Type"].startswith("text/css")
        assert css.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in css.headers["Cache-Control"]


# The app's own scripts and styles, and the vendored docs' (hashed when collected).
STATIC_FILES = [
    "kanban/board.js",
    "kanban/board.css",
    "kanban/task.js",
    "core/dom.js",
    "core/ai_action.js",
    "core/workspace.css",
    "jobs/job_page.js",
    "projects/prompt.js",
    "projects/components.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
]


def test_gunicorn_with_debug_off_serves_the_apps_scripts_and_the_vendored_ones(gunicorn, tmp_path):
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in STATIC_FILES:
        request = urllib.request.Request(
            f"{gunicorn}/static/{manifest[name]}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request) as served:
            body = gzip.decompress(served.read())
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            assert (name, served.status, served.headers["Content-Type"].split(";")[0]) == (name, 200, kind)
            assert "max-age=315360000" in served.headers["Cache-Control"]
        # the file itself (collecting rewrites only the references in it, further on)
        assert body[:64] == Path(finders.find(name)).read_bytes()[:64], name


def test_the_vendored_docs_versions_and_licences_are_recorded():
    """The README names what drf-spectacular-sidecar ships: a new pin must update it."""
    sidecar = importlib.metadata.metadata("drf-spectacular-sidecar")
    shipped = dict(re.findall(r"`(Swagger UI|Redoc)`_ version ``([0-9.]+)``", sidecar.get_payload()))
    readme = " ".join((BASE_DIR / "README.md").read_text().split())
    static = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"

    assert f"drf-spectacular-sidecar=={sidecar['Version']}" in readme
    assert f"Swagger UI {shipped['Swagger UI']} (Apache-2.0)" in readme
    assert f"ReDoc {shipped['Redoc']} (MIT)" in readme
    assert "Apache License" in (static / "swagger-ui-dist" / "LICENSE").read_text()
    assert "The MIT License" in (static / "redoc" / "LICENSE").read_text()
