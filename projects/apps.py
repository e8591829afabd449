from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self):
        from jobs.signals import job_submitting
        from projects import counts
        from projects import jobs as _kinds  # noqa: F401  (registers its kinds of job)
        from projects.budget import refuse_over_budget

        post_migrate.connect(counts.reinstall_after_migrate, sender=self)
        job_submitting.connect(refuse_over_budget, dispatch_uid="projects-refuse-over-budget")
