"""The base package: what every app uses (abstract model building blocks and the API token as
admin names it, the encrypted field, history recording and its context, parsers, exceptions,
outbound URL rules, pagination, admin and viewset mixins, streams, helpers for management
commands and tests, text and tool helpers).

Imports no app of this project; every app may import it."""
