import pytest

from kanban.tests.factories import TaskFactory


@pytest.fixture
def task(owner):
    """A task of a project of the owner's."""
    return TaskFactory(project__owner=owner)
