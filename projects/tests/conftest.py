import pytest

from projects.tests.factories import ProjectFactory


@pytest.fixture
def project(owner):
    """A project of the owner's."""
    return ProjectFactory(owner=owner)
