from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from aimodels.models import AIModel
from core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored API key with the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys. "
        "Safe to run again: keys already under the first key are left alone. A key no configured "
        "key opens is named and left as it is; the others are rotated, and the command fails."
    )

    def handle(self, **options):
        rotated, total, unopened = self.rotate_all()
        self.stdout.write(f"Re-encrypted {rotated} of {total} stored API keys with the first key.")
        if unopened:
            names = ", ".join(f"'{name}'" for name in unopened)
            raise CommandError(
                f"The API keys of {len(unopened)} AI model(s) cannot be decrypted with FIELD_ENCRYPTION_KEYS "
                f"and were left as they are: {names}. Add the key they were encrypted with and run again, "
                "or store new API keys for them."
            )

    @transaction.atomic
    def rotate_all(self) -> tuple[int, int, list[str]]:
        # Cast reads the raw token (the field would decrypt it); the update writes an
        # expression, which the field does not encrypt a second time.
        tokens = list(
            AIModel.objects.select_for_update()
            .exclude(api_key="")
            .annotate(token=Cast("api_key", output_field=models.TextField()))
            .order_by("name")
            .values_list("pk", "name", "token")
        )
        rotated, unopened = 0, []
        for pk, name, token in tokens:
            if crypto.is_current(token):
                continue
            try:
                new_token = crypto.rotate(token)
            except crypto.DecryptionError:
                unopened.append(name)
                continue
            AIModel.objects.filter(pk=pk).update(
                api_key=models.Value(new_token, output_field=models.TextField())
            )
            rotated += 1
        return rotated, len(tokens), unopened
