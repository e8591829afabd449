"""Helpers for tests that need real concurrency."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection


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
