"""The live board of a project in admin: the page; `kanban/static/kanban/board.js` fills it
from the board API, moves cards through the move API and follows the project's event stream."""

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from kanban.models import Task
from projects.models import Project


def board_view(request, project_id):
    """The board of a project its owner opens; anyone else, staff included, gets a 404, as the
    API answers them."""
    project = get_object_or_404(Project.objects.for_user(request.user), pk=project_id)
    context = {
        **admin.site.each_context(request),
        "title": f"Board: {project.name}",
        "page": "Board",
        "project": project,
        "statuses": Task.Status.choices,
        "priorities": Task.Priority.choices,
    }
    return TemplateResponse(request, "admin/kanban/board.html", context)
