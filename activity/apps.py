from django.apps import AppConfig


class ActivityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "activity"
    verbose_name = "Activity history"

    def ready(self):
        from activity.receivers import store_change, store_job_end
        from core.history import change_recorded
        from jobs.signals import job_finished

        change_recorded.connect(store_change, dispatch_uid="activity-store-change")
        job_finished.connect(store_job_end, dispatch_uid="activity-store-job-end")
