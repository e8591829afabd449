from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self):
        from activity.signals import activity_recorded
        from jobs.signals import job_finished
        from webhooks import receivers

        activity_recorded.connect(receivers.activity_stored, dispatch_uid="webhooks-activity")
        job_finished.connect(receivers.job_finished, dispatch_uid="webhooks-job-finished")
