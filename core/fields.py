from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database column and in dumps.

    An empty value is stored empty: there is no secret to protect. Tokens are randomised,
    so the field cannot be searched or compared in SQL. A token no configured key opens
    reads as `crypto.UndecryptableSecret`: the row stays usable and keeps its token.
    `dumpdata` writes the token, and `loaddata` (through `to_python`) opens it again.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return crypto.decrypt(value)
        except crypto.DecryptionError:
            return crypto.UndecryptableSecret(value)

    def to_python(self, value):
        if isinstance(value, str) and crypto.looks_encrypted(value):
            return self.from_db_value(value, None, None)
        return super().to_python(value)

    def get_prep_value(self, value):
        if isinstance(value, crypto.UndecryptableSecret):
            return value.token
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return self.get_prep_value(value) or ""
