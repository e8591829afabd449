from django.apps import AppConfig


class KanbanConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kanban"

    def ready(self):
        from kanban import jobs, receivers, system_settings  # noqa: F401  (kinds of job, receivers, settings)
