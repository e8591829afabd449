"""`manage.py erd`: the entity-relationship diagram of every model of the project's apps, as
Mermaid, in docs/erd.md. `--check` writes nothing and fails when the file is out of date."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "erd.md"
HEADER = """# Entity-relationship diagram

Generated from the models by `manage.py erd` (CI fails when it is out of date): every model of
the project's apps with its fields (type, PK/FK/UK) and relations. Models of Django and of
libraries that ours point at (the user, a token) appear by name only.

```mermaid
erDiagram
"""


def project_models() -> list[type[models.Model]]:
    ours = settings.INSTALLED_APPS[settings.INSTALLED_APPS.index("core") :]
    return sorted(
        (model for model in apps.get_models() if model._meta.app_label in ours),
        key=lambda model: model._meta.label,
    )


def column_type(field: models.Field) -> str:
    if isinstance(field, models.GeneratedField):
        return f"generated_{field.output_field.get_internal_type()}"
    if field.is_relation:
        return field.target_field.get_internal_type()
    return field.get_internal_type()


def keys(field: models.Field) -> str:
    marks = []
    if field.primary_key:
        marks.append("PK")
    if field.is_relation:
        marks.append("FK")
    if field.unique and not field.primary_key:
        marks.append("UK")
    return ",".join(marks)


def entity(model) -> list[str]:
    lines = [f"    {model.__name__} {{"]
    for field in model._meta.concrete_fields:
        line = f"        {column_type(field)} {field.attname}"
        if marks := keys(field):
            line += f" {marks}"
        if field.null:
            line += ' "nullable"'
        lines.append(line)
    lines.append("    }")
    return lines


def relations(model) -> list[str]:
    lines = []
    for field in model._meta.concrete_fields:
        if not field.is_relation:
            continue
        target = field.related_model.__name__
        one = "|o" if field.null else "||"
        many = "o|" if field.one_to_one else "o{"
        lines.append(f"    {target} {one}--{many} {model.__name__} : {field.name}")
    return lines


def diagram() -> str:
    ours = project_models()
    named = {model.__name__ for model in ours}
    assert len(named) == len(ours), "Two of the project's models share a name; the diagram names them apart."
    body = [line for model in ours for line in entity(model)]
    body += [line for model in ours for line in relations(model)]
    others = sorted(
        {
            field.related_model.__name__
            for model in ours
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model.__name__ not in named
        }
    )
    body += [f"    {name} {{\n    }}" for name in others]
    return HEADER + "\n".join(body) + "\n```\n"


class Command(BaseCommand):
    help = "Write the entity-relationship diagram (Mermaid) of the models to docs/erd.md."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
        parser.add_argument("--check", action="store_true", help="Fail if the file is out of date.")

    def handle(self, *, path: Path, check: bool, **options):
        wanted = diagram()
        if check:
            if not path.exists() or path.read_text() != wanted:
                raise CommandError(f"{path} is out of date: run `manage.py erd` and commit it.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted)
        self.stdout.write(f"Wrote {path}.")
