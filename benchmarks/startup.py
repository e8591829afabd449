"""Benchmark: what a process costs before it calls a model.

    .venv/bin/python benchmarks/startup.py

Reports the median wall time of `manage.py check` (5 runs), and the peak RSS of a fresh
process that sets Django up and serves one non-AI API request (a signed-in GET of the
projects list on an empty, already migrated SQLite database), beside a floor: a process that only imports
Django and sets it up. The provider SDKs are imported on first use, so neither loads them.
It asserts nothing; the numbers go in the README.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOOR = """
import os, resource, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")
django.setup()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

ONE_REQUEST = """
import os, resource, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")
django.setup()
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(get_user_model().objects.create_user("bench"))
assert client.get("/api/v1/projects/").status_code == 200
assert not {"openai", "anthropic"} & set(sys.modules)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def rss_mb(script: str, database: str) -> int:
    env = {"PATH": "", "DATABASE_URL": f"sqlite:///{database}"}
    migrate = [sys.executable, "manage.py", "migrate", "--verbosity", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # in its own process
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip())


def main():
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as where:
        floor = rss_mb(FLOOR, f"{where}/floor.sqlite3")
        served = rss_mb(ONE_REQUEST, f"{where}/bench.sqlite3")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| `manage.py check`, median of 5 | {statistics.median(timings):.2f} s |")
    print(f"| peak RSS, Django set up (floor) | {floor} MB |")
    print(f"| peak RSS after one non-AI API request | {served} MB ({served / floor:.2f}x the floor) |")


if __name__ == "__main__":
    main()
