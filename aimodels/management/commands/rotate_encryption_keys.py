from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from aimodels import crypto
from aimodels.models import AIModel


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored API key with the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys. "
        "Safe to run again: keys already under the first key are left alone."
    )

    def handle(self, **options):
        try:
            rotated, total = self.rotate_all()
        except crypto.DecryptionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Re-encrypted {rotated} of {total} stored API keys with the first key.")

    @transaction.atomic
    def rotate_all(self) -> tuple[int, int]:
        # Cast reads the raw token (the field would decrypt it); the update writes an
        # expression, which the field does not encrypt a second time.
        tokens = (
            AIModel.objects.select_for_update()
            .exclude(api_key="")
            .annotate(token=Cast("api_key", output_field=models.TextField()))
            .values_list("pk", "token")
        )
        rotated = 0
        tokens = list(tokens)
        for pk, token in tokens:
            if crypto.is_current(token):
                continue
            new_token = models.Value(crypto.rotate(token), output_field=models.TextField())
            AIModel.objects.filter(pk=pk).update(api_key=new_token)
            rotated += 1
        return rotated, len(tokens)
