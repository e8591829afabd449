import getpass
import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aimodels.models import AIModel


class Command(BaseCommand):
    help = (
        "Create an AI model configuration, or change an existing one by name: only the options "
        "given change. The API key is read from a hidden prompt, or from standard input when it is "
        "piped (e.g. `pass show openai | manage.py add_ai_model ...`), never from the command line, "
        "where it would land in shell history. On a change, an empty key keeps the stored one."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--provider", choices=AIModel.Provider.values, help="Required to create.")
        parser.add_argument("--model", help="The provider's model id. Required to create.")
        parser.add_argument(
            "--base-url", help="Server address, e.g. http://localhost:11434/v1; '' for the default."
        )
        parser.add_argument(
            "--usage-type", choices=AIModel.UsageType.values, help="Default on create: general."
        )
        parser.add_argument("--config", help='JSON, e.g. \'{"temperature": 0.2, "timeout": 30}\'.')
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", dest="is_active", action="store_true", default=None)
        state.add_argument(
            "--inactive", dest="is_active", action="store_false", help="Store it switched off."
        )
        parser.add_argument(
            "--no-api-key", action="store_true", help="The server takes no key (e.g. Ollama)."
        )

    def handle(self, *, name, no_api_key, **options):
        ai_model = AIModel.objects.filter(name=name).first() or AIModel(name=name)
        created = ai_model._state.adding
        if created and not (options["provider"] and options["model"]):
            raise CommandError(f"AI model '{name}' does not exist yet: --provider and --model are required.")
        for field, value in self.given(options).items():
            setattr(ai_model, field, value)
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
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} AI model '{name}' ({ai_model.provider}: {ai_model.model}), "
            f"key {ai_model.api_key_hint or 'not set'}."
        )

    @staticmethod
    def given(options) -> dict:
        """The model fields the options name: those left out are not touched."""
        fields = {
            "provider": options["provider"],
            "model": options["model"],
            "base_url": options["base_url"],
            "usage_type": options["usage_type"],
            "is_active": options["is_active"],
        }
        if options["config"] is not None:
            try:
                fields["config"] = json.loads(options["config"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--config is not valid JSON: {exc.msg}.") from None
        return {field: value for field, value in fields.items() if value is not None}

    def read_key(self, *, keep_existing: bool) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().strip()
        hint = " (empty keeps the current key)" if keep_existing else ""
        return getpass.getpass(f"API key{hint}: ").strip()
