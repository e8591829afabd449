import getpass
import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aimodels.models import AIModel


class Command(BaseCommand):
    help = (
        "Create or update an AI model configuration by name. The API key is read from a hidden "
        "prompt, or from standard input when it is piped (e.g. `pass show openai | manage.py "
        "add_ai_model ...`), never from the command line, where it would land in shell history."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--provider", choices=AIModel.Provider.values, required=True)
        parser.add_argument("--model", required=True, help="The provider's model id.")
        parser.add_argument("--base-url", default="", help="Server address, e.g. http://localhost:11434/v1.")
        parser.add_argument(
            "--usage-type", choices=AIModel.UsageType.values, default=AIModel.UsageType.GENERAL
        )
        parser.add_argument(
            "--config", default="{}", help='JSON, e.g. \'{"temperature": 0.2, "timeout": 30}\'.'
        )
        parser.add_argument("--inactive", action="store_true", help="Store it switched off.")
        parser.add_argument(
            "--no-api-key", action="store_true", help="The server takes no key (e.g. Ollama)."
        )

    def handle(self, *, name, provider, model, base_url, usage_type, config, inactive, no_api_key, **options):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--config is not valid JSON: {exc.msg}.") from None
        ai_model = AIModel.objects.filter(name=name).first() or AIModel(name=name)
        created = ai_model._state.adding
        ai_model.provider, ai_model.model, ai_model.base_url = provider, model, base_url
        ai_model.usage_type, ai_model.config, ai_model.is_active = usage_type, config, not inactive
        if no_api_key:
            ai_model.api_key = ""
        elif key := self.read_key(keep_existing=not created):
            ai_model.api_key = key
        try:
            ai_model.full_clean()
        except ValidationError as exc:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            )
            raise CommandError(problems) from None
        ai_model.save()
        self.stdout.write(
            f"{'Created' if created else 'Updated'} AI model '{name}' ({provider}: {model}), "
            f"key {ai_model.api_key_hint or 'not set'}."
        )

    def read_key(self, *, keep_existing: bool) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().strip()
        hint = " (empty keeps the current key)" if keep_existing else ""
        return getpass.getpass(f"API key{hint}: ").strip()
