from django import template

from projects.models import Project

register = template.Library()


@register.simple_tag
def your_projects(user, limit: int = 20):
    """The user's projects, newest first, for the admin index's links to their boards."""
    return Project.objects.for_user(user)[:limit]
