"""Helpers for tests: checks that many apps' tests make, real concurrency, and a real server in
a process of its own."""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
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


def validation_errors(instance) -> dict[str, list[str]]:
    """What `full_clean()` finds wrong with `instance` (the test fails if it finds nothing)."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def refused_on_save(instance) -> dict[str, list[str]]:
    """What `full_clean()` finds wrong with `instance`, once `save()` has refused it too."""
    errors = validation_errors(instance)
    with pytest.raises(ValidationError):
        instance.save()
    return errors


def assert_set_null_on_delete(factory, field: str, referred, **fields):
    """A row `factory` makes in `referred`'s project, referring to it through `field`, outlives
    it with the reference cleared; the row is returned."""
    row = factory(project=referred.project, **{field: referred}, **fields)
    referred.delete()
    row.refresh_from_db()
    assert getattr(row, field) is None
    return row


def created(response, model) -> tuple:
    """The row a create request made, and the rest of its answer: a 201 whose id and timestamps
    are the row's."""
    assert response.status_code == 201, response.content
    body = response.json()
    row = model.objects.get(pk=body.pop("id"))
    assert (body.pop("created_at"), body.pop("updated_at")) == (iso(row.created_at), iso(row.updated_at))
    return row, body


def refused_before_calling(response, server) -> dict:
    """The body of a 409 answered before the model on `server` was called."""
    assert response.status_code == 409, response.content
    assert server.requests == []
    return response.json()


def rebinding_dns(monkeypatch, host: str, port: int, answers: list[str]) -> Iterator[str]:
    """Make `host` resolve to each of `answers` in turn, as a rebinding DNS server would; the
    answers not given yet are returned."""
    answers = iter(answers)
    real = socket.getaddrinfo

    def rebinding(name, *args, **kwargs):
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    return answers


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
