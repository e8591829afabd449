import factory

from kanban.models import Commit, Task
from projects.tests.factories import ProjectFactory


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    description = factory.Faker("sentence")


class CommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commit

    task = factory.SubFactory(TaskFactory)
    type = Commit.Type.FEAT
    scope = "board"
    breaking = False
    message = factory.LazyAttribute(
        lambda commit: f"{commit.type}({commit.scope}){'!' if commit.breaking else ''}: change the board"
    )
    changes = factory.LazyFunction(lambda: {"files": ["kanban/views.py"]})
