"""A web process holds no database connection while a provider call runs (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection

from conftest import ai_model_on, client_for, job_result
from core.testing import postgres_only
from projects.tests.factories import InterviewFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def connections_to_this_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_no_connection_is_held_while_the_provider_thinks(owner, openai_server):
    ai_model_on(openai_server, usage_type="interview")
    interview = InterviewFactory(project__owner=owner)
    openai_server.reply("Who are your users?", delay=1.0)
    baseline = connections_to_this_database()  # this thread's own
    answers = []

    def request():
        answers.append(
            client_for(owner).post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "Hi"})
        )
        connection.close()

    worker = threading.Thread(target=request)
    worker.start()
    while not openai_server.requests:  # the provider has the call and is thinking
        time.sleep(0.01)
    during = connections_to_this_database()
    worker.join(timeout=30)

    assert during == baseline
    assert job_result(answers[0], "interview")["conversation_data"][-1]["content"] == "Who are your users?"
