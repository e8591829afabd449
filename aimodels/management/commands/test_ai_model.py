from django.core.management.base import BaseCommand, CommandError

from aimodels.gateway import AIModelUnavailable
from aimodels.models import AIModel
from aimodels.services import ai_model_test


class Command(BaseCommand):
    help = "Make one tiny call to an AI model to check its address, key and model id."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *, name, **options):
        ai_model = AIModel.objects.filter(name=name).first()
        if ai_model is None:
            raise CommandError(f"No AI model is named '{name}'; see manage.py list_ai_models.")
        try:
            result = ai_model_test(ai_model=ai_model)
        except AIModelUnavailable as exc:
            raise CommandError(str(exc.detail)) from None
        if not result["ok"]:
            raise CommandError(f"AI model '{name}' failed in {result['latency_ms']} ms: {result['error']}")
        self.stdout.write(f"AI model '{name}' answered in {result['latency_ms']} ms.")
