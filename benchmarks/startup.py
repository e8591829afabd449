"""Benchmark: what a process costs before it calls a model.

    .venv/bin/python benchmarks/startup.py

Reports the median wall time of `manage.py check` (5 runs), and the resident memory of a
gunicorn worker (one sync worker, DEBUG off, SQLite) after it has served its first non-AI
request (a token-authenticated GET of the projects list), beside a floor: a process that
only imports Django and sets it up. The provider SDKs are imported on first use, so neither
loads them. It asserts nothing; the numbers go in the README.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from production import PRODUCTION

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")

FLOOR = """
import os, resource, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")
django.setup()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

TOKEN = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")
django.setup()
from django.contrib.auth import get_user_model
from knox.models import AuthToken
print(AuthToken.objects.create(get_user_model().objects.create_user("bench"))[1])
"""


def python(script: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def rss_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) // 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_rss_mb(env: dict) -> int:
    """A gunicorn worker's RSS after its first request."""
    token, port = python(TOKEN, env), free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "orchestrator.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/projects/", headers={"Authorization": f"Token {token}"}
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(request) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.1)
        (worker,) = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        return rss_mb(int(worker))
    finally:
        server.terminate()
        server.wait()


def main():
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as where:
        env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": f"sqlite:///{where}/bench.sqlite3",
            **PRODUCTION,
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
        )
        floor = int(python(FLOOR, env))
        served = worker_rss_mb(env)
    print("| measure | value |")
    print("|---|---:|")
    print(f"| `manage.py check`, median of 5 | {statistics.median(timings):.2f} s |")
    print(f"| peak RSS, Django set up (floor) | {floor} MB |")
    ratio = served / floor
    print(f"| gunicorn worker RSS after its first non-AI request | {served} MB ({ratio:.2f}x the floor) |")


if __name__ == "__main__":
    main()
