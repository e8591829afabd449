"""Helpers for tests that need real concurrency, or a real server in a process of its own."""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BIN = Path(sys.executable).parent  # the virtualenv's gunicorn, uvicorn, celery


def run_in_threads(functions, *, timeout: float = 60):
    """Run each callable in its own thread, all released at once; return results or exceptions.

    Each thread has its own database connection and closes it when done.
    """
    barrier = threading.Barrier(len(functions))

    def run(function):
        barrier.wait()
        try:
            return function()
        except Exception as exc:  # returned, so the test can check each outcome
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions, timeout=timeout))


def postgres_only():
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks are a PostgreSQL matter; runs in the PostgreSQL pass of .ci/run",
    )


def iso(value) -> str:
    """A datetime as the API writes it: ISO 8601 in UTC with a Z."""
    return value.isoformat().replace("+00:00", "Z")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(server: str, port: int, *, threads: int = 1) -> list[str]:
    """The project served on `port` by `server`: gunicorn (WSGI, with `threads`) or uvicorn
    (ASGI)."""
    if server == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "orchestrator.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--threads",
            str(threads),
        ]
    return [
        str(BIN / "uvicorn"),
        "orchestrator.asgi:application",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def live_server(command: list[str], env: dict, port: int) -> tuple[subprocess.Popen, str]:
    """`command`, a server on `port` run from the project's root with `env`, once it answers:
    its process and its address. It fails with the server's last words if it never does."""
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.stderr.read().decode()[-2000:])


def rest(base: str, token: str, method: str, path: str, body=None):
    """The REST API of a live server, as a person (or a script) calls it: the answer's JSON."""
    request = urllib.request.Request(
        f"{base}/api/v1/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def sign_in(base: str, username: str, password: str) -> str:
    """An API token for `username` from a live server's sign-in endpoint."""
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]
