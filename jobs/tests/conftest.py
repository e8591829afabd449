import pytest

from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on


def use_broker(settings, url: str) -> None:
    """Send jobs to `url` from this process: the Celery app's connection and producer pools
    are made again for it (they keep the broker they were first made for)."""
    from orchestrator.celery import app

    settings.JOBS_INLINE, settings.CELERY_BROKER_URL = False, url
    app.conf.broker_url = url
    app._pool, app.amqp._producer_pool = None, None


@pytest.fixture
def queued(settings):
    """Jobs wait for a worker (none runs in these tests): an action answers 202."""
    use_broker(settings, "memory://")


@pytest.fixture
def agent_turn(owner_client, owner, openai_server):
    """The id of the job of an agent turn that adds a Checkout task, then says so; it has run
    unless jobs are `queued`."""
    ai_model_on(openai_server)
    session = ChatSessionFactory(task__project__owner=owner)
    openai_server.reply(
        "Adding it.", tool_calls=[{"name": "create_task", "arguments": {"title": "Checkout"}}]
    )
    openai_server.reply("Checkout is on the board.")
    job = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Add checkout"})
    return job.json()["id"]
