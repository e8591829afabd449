"""PostgreSQL through psycopg's pool, as configured by default: 20 concurrent sessions hold
20 connections at once, with no errors (SC-006)."""

import json
import os
import subprocess
import sys

from django.db import connection

from core.testing import postgres_only

pytestmark = postgres_only()

SESSIONS = """
import json, threading, time
import django, psycopg
django.setup()
from django.conf import settings
from django.db import connection, transaction

SESSIONS = 20
barrier, errors = threading.Barrier(SESSIONS + 1), []

def session():
    try:
        barrier.wait()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1.5)")
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()  # back to the pool

threads = [threading.Thread(target=session) for _ in range(SESSIONS)]
for thread in threads:
    thread.start()
barrier.wait()
time.sleep(0.75)
db = settings.DATABASES["default"]
with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as watcher:
    held = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND query = 'SELECT pg_sleep(1.5)' AND state = 'active'"
    ).fetchone()[0]
for thread in threads:
    thread.join()
print(json.dumps({"pool": db["OPTIONS"].get("pool"), "held": held, "errors": errors}))
"""


def test_twenty_concurrent_sessions_hold_twenty_pooled_connections(db):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL_MAX_SIZE": "20",
    }
    env.pop("DATABASE_POOL", None)  # the default

    result = subprocess.run(
        [sys.executable, "-c", SESSIONS], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome == {"pool": {"min_size": 2, "max_size": 20, "timeout": 10.0}, "held": 20, "errors": []}
