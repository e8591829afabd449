"""Counting what the database is asked to write; used by tests and benchmarks."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE")


@dataclass
class WriteCounter:
    statements: int = 0
    rows: int = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(WRITE_STATEMENTS):
            self.statements += 1
            self.rows += max(context["cursor"].rowcount, 0)
        return result


@contextmanager
def count_writes():
    """Count the write statements, and the rows they touch, run inside the block."""
    counter = WriteCounter()
    with connection.execute_wrapper(counter):
        yield counter
