"""Benchmark: server-sent event streams under load, on one uvicorn process with the default pool.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/streams.py

Builds a throwaway database (one user signed in by an API token, one project) and starts one
uvicorn process on it, in production mode (DEBUG off, the default connection pool: 10
connections, a 10 s timeout). Then, for 10, 50 and 200 streams, this process (asyncio and
httpx, one connection per stream) opens that many streams of the project's events
(`/api/v1/projects/{id}/events/`) at once, waits until each has answered (its `retry:` line,
sent once the stream is registered with the process's LISTEN thread), and measures:

- how long until every stream had answered;
- pool timeouts: "PoolTimeout: couldn't get a connection" in the server's log, from the streams'
  opening to their closing (the line psycopg_pool's exception prints, once per timeout);
- HTTP errors: streams that did not open or ended early, and GETs and POSTs not answered 2xx;
- the p99 of 100 sequential GETs of the projects list from another client;
- queries/s against idle watchers: transactions PostgreSQL ran in the throwaway database
  (`xact_commit + xact_rollback` of `pg_stat_database`; pg_stat_statements is not loaded)
  over IDLE_SECONDS with the streams open and no request;
- then WRITES task creations (POST /api/v1/tasks/), one every WRITE_SPACING seconds; each
  records a `task.created` activity row that every stream should receive. Delivery delay is
  from just before the POST is sent until a stream has read the event (so it includes the
  POST itself, and this process's own lag in reading 200 streams); the p95 is over every
  (write, stream) pair, and an event a stream never received counts as missed. Queries/s
  during writes is the same count over the write period (first POST to last delivery), and
  per write.
- the server's CPU (user + system) per write over the write period.

A backend reports its transaction counts to `pg_stat_database` once it is idle, and no more
than once a second: counts made less than a second after its last report wait for a timer of
10 s. So each count that follows activity is read after SETTLE_SECONDS of quiet, and the
counter is read from a connection to the `postgres` database, so that reading it counts
nothing. Each Django query outside `atomic` is one transaction; a write's atomic block
counts once. It asserts nothing; the numbers go in the README.
"""

import asyncio
import json
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import production

production.setup()

import httpx  # noqa: E402
import psycopg  # noqa: E402
from database import throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from projects.models import Project  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
UVICORN = Path(sys.executable).with_name("uvicorn")
LEVELS = (10, 50, 200)
GETS = 100
WRITES = 20
WRITE_SPACING = 0.15
IDLE_SECONDS = 5
SETTLE_SECONDS = 11  # longer than the 10 s a backend may hold its counts back
CONNECT_TIMEOUT = 60
DELIVERY_TIMEOUT = 10
# The line psycopg_pool's exception prints; the wrapping OperationalError repeats only the message.
POOL_TIMEOUT = re.compile(r"PoolTimeout: couldn't get a connection")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
logging.getLogger("httpx").setLevel(logging.WARNING)  # settings log INFO: not one line per request


def build() -> tuple[Project, str]:
    owner = get_user_model().objects.create_user("owner")
    _, token = AuthToken.objects.create(owner)
    project = Project.objects.create(owner=owner, name="Watched board")
    Project.objects.bulk_create(Project(owner=owner, name=f"Project {n}") for n in range(9))
    return project, token


def database_url(database: dict) -> str:
    """The throwaway database (Django renamed settings_dict's NAME to it) as a DATABASE_URL."""
    user = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        user += ":" + quote(database["PASSWORD"], safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    sslmode = database["OPTIONS"].get("sslmode")
    query = f"?sslmode={sslmode}" if sslmode else ""
    return f"postgres://{user}@{database['HOST'] or 'localhost'}{port}/{database['NAME']}{query}"


def server_env(url: str) -> dict:
    """Production mode as scripts/schemathesis.sh sets it up, the pool at its defaults."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_POOL")}
    env.update(
        DATABASE_URL=url,
        DEBUG="false",
        SECRET_KEY="benchmark-only",
        FIELD_ENCRYPTION_KEYS=os.environ["FIELD_ENCRYPTION_KEYS"],
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
        THROTTLE_LOGIN="100000/min",
        THROTTLE_LOGIN_USERNAME="100000/min",
        THROTTLE_AI="100000/min",
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def uvicorn(env: dict, log_path: Path):
    """One uvicorn process (no worker processes) for the block; yields (base URL, pid)."""
    port = free_port()
    command = [str(UVICORN), "orchestrator.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    # Without a graceful-shutdown limit, a stream left open would keep it waiting for minutes.
    command += ["--workers", "1", "--no-access-log", "--timeout-graceful-shutdown", "2"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Transactions:
    """The throwaway database's transaction count, read from the `postgres` database."""

    def __init__(self, database: dict):
        self.name = database["NAME"]
        self.connection = psycopg.connect(
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )

    def count(self) -> int:
        query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s"
        return self.connection.execute(query, [self.name]).fetchone()[0]

    def close(self):
        self.connection.close()


@dataclass
class Watcher:
    """One stream: whether it has answered, what went wrong, and when each task's event came."""

    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None
    arrived: dict[str, float] = field(default_factory=dict)  # task id -> perf_counter()

    async def watch(self, client: httpx.AsyncClient, url: str):
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    self.error = f"HTTP {response.status_code}"
                    return
                event = None
                async for line in response.aiter_lines():
                    if line.startswith("retry:"):
                        self.ready.set()
                    elif line.startswith("event:"):
                        event = line.removeprefix("event:").strip()
                    elif line.startswith("data:") and event == "task.created":
                        data = json.loads(line.removeprefix("data:"))
                        self.arrived[data["object_id"]] = time.perf_counter()
                self.error = "ended"
        except httpx.HTTPError as error:
            self.error = repr(error)
        finally:
            self.ready.set()  # answered or failed: either way, not waited for any longer


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


async def unrelated_gets(client: httpx.AsyncClient) -> tuple[list[float], int]:
    """Latencies (s) of GETS sequential GETs of the projects list, and how many failed."""
    latencies, errors = [], 0
    for _ in range(GETS):
        started = time.perf_counter()
        response = await client.get("/api/v1/projects/")
        latencies.append(time.perf_counter() - started)
        errors += response.status_code != 200
    return latencies, errors


async def writes(client: httpx.AsyncClient, project: str, watchers: list[Watcher]):
    """Creates WRITES tasks, one every WRITE_SPACING s, and waits until every open stream has
    each one's event (or DELIVERY_TIMEOUT); answers {task id: when its POST was sent}, the
    failed POSTs, and when the period ended."""
    sent, errors = {}, 0
    started = time.perf_counter()
    for n in range(WRITES):
        await asyncio.sleep(max(started + n * WRITE_SPACING - time.perf_counter(), 0))
        before = time.perf_counter()
        response = await client.post("/api/v1/tasks/", json={"project": project, "title": f"Task {n}"})
        if response.status_code == 201:
            sent[response.json()["id"]] = before
        else:
            errors += 1
    ended = time.perf_counter()
    open_streams = [watcher for watcher in watchers if watcher.error is None]
    deadline = ended + DELIVERY_TIMEOUT
    while time.perf_counter() < deadline and any(sent.keys() - w.arrived.keys() for w in open_streams):
        await asyncio.sleep(0.01)
    ended = max([ended, *(arrival for watcher in open_streams for arrival in watcher.arrived.values())])
    return sent, errors, ended - started


async def level(streams: int, base: str, token: str, project: str, server: int, log: Path, counts) -> dict:
    headers = {"Authorization": f"Token {token}"}
    log_start = log.stat().st_size
    unlimited = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    stream_client = httpx.AsyncClient(
        base_url=base, headers=headers, limits=unlimited, timeout=httpx.Timeout(30, read=None)
    )
    other = httpx.AsyncClient(base_url=base, headers=headers, timeout=30)
    watchers = [Watcher() for _ in range(streams)]
    opened = time.perf_counter()
    tasks = [
        asyncio.create_task(watcher.watch(stream_client, f"/api/v1/projects/{project}/events/"))
        for watcher in watchers
    ]
    try:
        answered = asyncio.gather(*(watcher.ready.wait() for watcher in watchers))
        await asyncio.wait_for(answered, CONNECT_TIMEOUT)
        connected = time.perf_counter() - opened
        latencies, get_errors = await unrelated_gets(other)

        await asyncio.sleep(SETTLE_SECONDS)  # the connects' and GETs' counts reach pg_stat_database
        idle_start = counts.count()
        await asyncio.sleep(IDLE_SECONDS)
        idle_end = counts.count()

        cpu_before, client_before = cpu_seconds(server), time.process_time()
        sent, post_errors, period = await writes(other, project, watchers)
        server_cpu, client_cpu = cpu_seconds(server) - cpu_before, time.process_time() - client_before
        await asyncio.sleep(SETTLE_SECONDS)
        written = counts.count() - idle_end
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stream_client.aclose()
        await other.aclose()
    await asyncio.sleep(1)  # the server notices the disconnects and stops the streams

    delays, missed = [], 0
    for watcher in watchers:
        for task, before in sent.items():
            if task in watcher.arrived:
                delays.append(watcher.arrived[task] - before)
            else:
                missed += 1
    with log.open("rb") as server_log:
        server_log.seek(log_start)
        pool_timeouts = len(POOL_TIMEOUT.findall(server_log.read().decode(errors="replace")))
    return {
        "streams": streams,
        "connected": connected,
        "pool_timeouts": pool_timeouts,
        "http_errors": sum(watcher.error is not None for watcher in watchers) + get_errors + post_errors,
        "get_p99_ms": percentile(latencies, 99) * 1000,
        "delivery_p95": percentile(delays, 95) if len(delays) > 1 else float("nan"),
        "missed": missed,
        "idle_per_s": (idle_end - idle_start) / IDLE_SECONDS,
        "writes_per_s": written / period,
        "per_write": written / WRITES,
        "server_cpu_ms_per_write": server_cpu * 1000 / WRITES,
        "client_cpu": client_cpu,
        "errors": sorted({watcher.error for watcher in watchers if watcher.error}),
    }


async def wait_until_up(base: str, token: str):
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {token}"}) as client:
        for _ in range(300):
            try:
                if (await client.get("/api/v1/projects/")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("The server did not answer within 30 s.")
        for _ in range(10):  # warm up: the first requests load what later ones reuse
            await client.get("/api/v1/projects/")


async def run(base: str, token: str, project: str, server: int, log: Path, counts) -> list[dict]:
    await wait_until_up(base, token)
    return [await level(streams, base, token, project, server, log, counts) for streams in LEVELS]


def main():
    started = time.perf_counter()
    with throwaway_postgres_database():
        project, token = build()
        database = dict(connection.settings_dict)
        connection.close()
        counts = Transactions(database)
        try:
            with tempfile.TemporaryDirectory() as where:
                log = Path(where) / "uvicorn.log"
                with uvicorn(server_env(database_url(database)), log) as (base, server):
                    rows = asyncio.run(run(base, token, str(project.pk), server, log, counts))
                tracebacks = log.read_text(errors="replace").count("Traceback (most recent call last)")
        finally:
            counts.close()

    print(
        "| streams | all open in s | pool timeouts | HTTP errors | unrelated GET p99 ms | delivery p95 s "
        "| missed events | idle queries/s | queries/s during writes | queries per write "
        "| server CPU ms per write |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['streams']} | {row['connected']:.2f} | {row['pool_timeouts']} | {row['http_errors']} "
            f"| {row['get_p99_ms']:.1f} | {row['delivery_p95']:.3f} | {row['missed']} "
            f"| {row['idle_per_s']:.2f} | {row['writes_per_s']:.1f} | {row['per_write']:.2f} "
            f"| {row['server_cpu_ms_per_write']:.1f} |"
        )
    print()
    print(
        f"One uvicorn process, default pool (10 connections, 10 s timeout); per level: {GETS} sequential "
        f"GETs of /api/v1/projects/, {IDLE_SECONDS} s idle, {WRITES} task creations "
        f"{WRITE_SPACING} s apart. Delivery: from just before the POST until the stream read the event. "
        "Queries: transactions in the throwaway database (pg_stat_database xact_commit + xact_rollback). "
        f"Tracebacks in the server log over the run: {tracebacks}. This client's CPU during the writes: "
        + ", ".join(f"{row['client_cpu']:.2f} s ({row['streams']} streams)" for row in rows)
        + f". Run took {time.perf_counter() - started:.0f} s."
    )
    for row in rows:
        if row["errors"]:
            print(f"Streams' errors at {row['streams']}: {', '.join(row['errors'])}")


if __name__ == "__main__":
    main()
