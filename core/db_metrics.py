"""Counting what the database is asked to write; used by tests and benchmarks."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE")


@dataclass
class WriteCounter:
    table: str
    statements: int = 0
    rows: int = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        statement = sql.lstrip()
        written = statement.upper().startswith(WRITE_STATEMENTS) and self.table in statement.split("(")[0]
        if written:
            self.statements += 1
            self.rows += max(context["cursor"].rowcount, 0)
        return result


@contextmanager
def count_writes(table: str):
    """Count the write statements to `table` (not, say, the activity record of the change),
    and the rows they touch, run inside the block."""
    counter = WriteCounter(table)
    with connection.execute_wrapper(counter):
        yield counter
