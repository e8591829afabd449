"""Waiting event streams hold no database connection, under ASGI (uvicorn) and WSGI
(gunicorn): with more streams open than the pool has connections (and a pool that gives up
after a second), other requests are still answered, and each stream still gets the events
written meanwhile. Live servers on a PostgreSQL database of the test's own."""

import json
import threading
import urllib.request
import uuid

import psycopg
import pytest
from django.db import connection

from core.testing import free_port, live_server, postgres_only, server_command
from orchestrator.tests.test_production import migrated_with_a_superuser

pytestmark = postgres_only()

PASSWORD = "correct horse battery staple"
POOL = 3  # connections per server process
STREAMS = 8  # more than the pool holds


@pytest.fixture(scope="module")
def database():
    """A PostgreSQL database of its own, migrated, with a user; dropped afterwards."""
    settings = connection.settings_dict
    name = f"orchestrator_streams_{uuid.uuid4().hex[:8]}"
    server = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield migrated_with_a_superuser(
            f"{server}/{name}", PASSWORD, DATABASE_POOL_MAX_SIZE=str(POOL), DATABASE_POOL_TIMEOUT="1"
        )
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["uvicorn", "gunicorn"])
def server(request, database):
    port = free_port()
    # WSGI: a thread per open stream, and some to spare for the other requests
    command = server_command(request.param, port, threads=STREAMS + 4)
    process, base = live_server(command, database, port)
    yield base
    process.kill()  # not terminate: gunicorn would wait for its streams' threads
    process.wait(timeout=10)


def call(base: str, path: str, *, token: str | None = None, body=None, timeout: float = 10):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        f"{base}/api/v1/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
    )
    return urllib.request.urlopen(request, timeout=timeout)


class Watcher(threading.Thread):
    """One open stream of a project's events, collecting the event names it reads."""

    def __init__(self, base, token, project):
        super().__init__(daemon=True)
        self.response = call(base, f"projects/{project}/events/", token=token, timeout=30)
        assert self.response.readline() == b"retry: 1000\n"  # open: it has caught up and waits
        self.events, self.created = [], threading.Event()

    def run(self):
        for line in self.response:
            if line.startswith(b"event: "):
                self.events.append(line[7:].strip().decode())
                if self.events[-1] == "task.created":
                    self.created.set()
                    return


def test_streams_wait_without_a_connection(server):
    token = json.loads(call(server, "auth/token/", body={"username": "ada", "password": PASSWORD}).read())[
        "token"
    ]
    project = json.loads(call(server, "projects/", token=token, body={"name": "Shop"}).read())["id"]

    watchers = [Watcher(server, token, project) for _ in range(STREAMS)]
    for watcher in watchers:
        watcher.start()
    # With every stream holding a connection, the pool (3, giving up after 1 s) would be
    # empty and these would be 503s.
    answers = [call(server, "projects/", token=token).status for _ in range(5)]
    created = call(server, "tasks/", token=token, body={"project": project, "title": "Cart"}).status

    assert answers == [200] * 5 and created == 201
    for watcher in watchers:
        assert watcher.created.wait(10), watcher.events
        watcher.response.close()
