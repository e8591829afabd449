"""Production serving: gunicorn with DEBUG off serves admin styled (WhiteNoise, hashed and
compressed files), and `check --deploy` is clean with settings from the environment."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

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


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**CLEAN_ENV, **PRODUCTION})

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "orchestrator.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/admin/login/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
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
