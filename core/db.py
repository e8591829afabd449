"""Database connection helpers for code that waits on the network."""

from django.db import connection


def in_transaction() -> bool:
    """Inside an atomic block of our own; the blocks a test wraps around itself do not count."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def release_connection() -> None:
    """Give the database connection back while we wait on a provider (a call can take a minute):
    the next query opens one again, or takes one from the pool."""
    if not connection.in_atomic_block:  # a test's own transaction keeps its connection
        connection.close()
