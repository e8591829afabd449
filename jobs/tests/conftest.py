import pytest


@pytest.fixture
def queued(settings):
    """Jobs wait for a worker (none runs in these tests): an action answers 202."""
    settings.JOBS_INLINE = False
    settings.CELERY_BROKER_URL = "memory://"
