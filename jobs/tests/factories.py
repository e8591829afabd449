import factory

from jobs.models import Job
from kanban.models import BoardJob
from kanban.tests.factories import TaskFactory


class JobFactory(factory.django.DjangoModelFactory):
    """A job for a task, asked for by the owner of the task's project."""

    class Meta:
        model = Job

    task = factory.SubFactory(TaskFactory)
    project = factory.SelfAttribute("task.project")
    owner = factory.SelfAttribute("project.owner")
    kind = BoardJob.TASK_EXPAND
