from django.core.management.base import BaseCommand, CommandError

from aimodels.gateway import AIModelUnavailable
from aimodels.gateway.base import DEFAULT_TIMEOUT
from aimodels.models import AIModel, AIModelJob
from jobs.services import job_start, job_wait


class Command(BaseCommand):
    help = "Make one tiny call to an AI model to check its address, key and model id."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *, name, **options):
        ai_model = AIModel.objects.filter(name=name).first()
        if ai_model is None:
            raise CommandError(f"No AI model is named '{name}'; see manage.py list_ai_models.")
        try:
            job = job_start(AIModelJob.AI_MODEL_TEST, subject=ai_model, ai_model=ai_model, owner=None)
        except AIModelUnavailable as exc:
            raise CommandError(str(exc.detail)) from None
        job = job_wait(job=job, seconds=float((ai_model.config or {}).get("timeout", DEFAULT_TIMEOUT)) + 5)
        if not job.finished:
            raise CommandError(f"The test is still queued or running (job {job.pk}); is a worker running?")
        if job.status != job.Status.SUCCEEDED:
            raise CommandError(f"The test job {job.status}: {job.error['detail']}")
        result = job.result["test"]
        if not result["ok"]:
            raise CommandError(f"AI model '{name}' failed in {result['latency_ms']} ms: {result['error']}")
        self.stdout.write(f"AI model '{name}' answered in {result['latency_ms']} ms.")
        tools = result.get("tools") or {}
        if tools.get("ok"):
            self.stdout.write("It answers through tools too (planning and the agent can use it).")
        else:
            self.stdout.write(
                f"It does not answer through tools: {tools.get('error')} Planning and the agent need "
                "tools; try config stream_tools: false (docs/local-models.md)."
            )
