"""On PostgreSQL a channel's rows take their ids in the order their transactions commit, so
a stream that has read up to an id has missed nothing below it (a row that took id 2 and
committed after id 3 would otherwise be passed over for good)."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from core.testing import postgres_only
from projects.tests.factories import ProjectFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]

INSERT = (
    "INSERT INTO activity_activity (project_id, object_type, object_id, object_repr, verb, changes, "
    "channel, via, created_at) VALUES (%s, 'kanban.task', 'x', %s, 'created', '{}', 'api', '{}', now()) "
    "RETURNING id"
)


def connect():
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
    )


def test_a_later_commit_never_takes_a_lower_id(owner):
    project = ProjectFactory(owner=owner)
    first, second = connect(), connect()
    committed = []

    first_id = first.execute(INSERT, [project.pk, "first"]).fetchone()[0]  # uncommitted

    def insert_second():
        second_id = second.execute(INSERT, [project.pk, "second"]).fetchone()[0]
        second.commit()
        committed.append(("second", second_id))

    writer = threading.Thread(target=insert_second)
    writer.start()
    time.sleep(0.5)
    assert committed == []  # it waits for the first transaction of its channel to end
    first.commit()
    committed.insert(0, ("first", first_id))
    writer.join(10)
    first.close()
    second.close()

    assert [name for name, _ in committed] == ["first", "second"]
    assert committed[0][1] < committed[1][1]


def test_other_projects_do_not_wait(owner):
    one, other = ProjectFactory(owner=owner), ProjectFactory(owner=owner)
    first, second = connect(), connect()

    first.execute(INSERT, [one.pk, "one"])
    started = time.monotonic()
    second.execute(INSERT, [other.pk, "other"])
    second.commit()

    assert time.monotonic() - started < 0.5  # not serialised behind another project's writer
    first.rollback()
    first.close()
    second.close()
