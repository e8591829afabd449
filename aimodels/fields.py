from django.db import models

from aimodels import crypto


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database column.

    An empty value is stored empty: there is no secret to protect. Tokens are
    randomised, so the field cannot be searched or compared in SQL.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
