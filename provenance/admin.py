"""The provenance timeline on the task's and the commit's admin pages (panels of their
workspaces, through core.admin.workspace_panels)."""

from django.dispatch import receiver

from core.admin import workspace_panels
from kanban.models import Commit, Task
from provenance.chain import task_provenance, timeline
from provenance.views import CHAIN

TEMPLATE = "admin/provenance/timeline.html"


@receiver(workspace_panels, sender=Task)
def task_timeline(sender, request, obj, **kwargs):
    task = Task.objects.select_related(*CHAIN).get(pk=obj.pk)
    return {"template": TEMPLATE, "timeline": timeline(task_provenance(task))}


@receiver(workspace_panels, sender=Commit)
def commit_timeline(sender, request, obj, **kwargs):
    commit = Commit.objects.select_related(*(f"task__{name}" for name in CHAIN)).get(pk=obj.pk)
    return {"template": TEMPLATE, "timeline": timeline(task_provenance(commit.task, commit=commit))}
