from django.dispatch import receiver

from aimodels.signals import model_call_recorded
from kanban.models import Task


@receiver(model_call_recorded, dispatch_uid="kanban-count-task-call")
def count_task_call(sender, *, job, call, **kwargs):
    """A task's AI usage counts every model call of the jobs for it (its agent turns too)."""
    if job.task_id:
        Task.add_ai_call(job.task_id, call)
