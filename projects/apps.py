from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self):
        from projects import budget, counts, jobs  # noqa: F401  (kinds of job; budget's receiver)

        post_migrate.connect(counts.reinstall_after_migrate, sender=self)  # this app's own migrations
