"""The throwaway PostgreSQL database every benchmark runs in."""

import sys
from contextlib import contextmanager

from django.db import connection
from django.test.utils import setup_test_environment


@contextmanager
def throwaway_postgres_database():
    """A fresh test_<name> database for the block, dropped after it."""
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this benchmark measures PostgreSQL.")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
