import pytest


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
