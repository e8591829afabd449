from django.apps import AppConfig
from django.core.exceptions import ValidationError


def validate_wip_limits(value):
    from kanban.models import Task

    if not isinstance(value, dict):
        raise ValidationError('Must be an object such as {"in_progress": 3}.')
    for status, limit in value.items():
        if status not in Task.Status.values:
            raise ValidationError(f"Unknown column {status!r}; columns are {', '.join(Task.Status.values)}.")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValidationError(f"The limit of {status!r} must be a positive integer or null.")


class KanbanConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kanban"

    def ready(self):
        from aimodels.registry import register_setting

        register_setting(
            key="kanban.wip_limits",
            description='Most tasks each board column may hold, e.g. {"in_progress": 3}.',
            default={},
            validate=validate_wip_limits,
        )
