"""The job engine: Job, JobEvent and ModelCall; submitting (idempotency, the outbox and its
dispatcher), running, recording, events and their streams. It knows no domain: apps above
declare their kinds of job in their own `jobs.py` (imported in their `ready()`) and hear of
jobs through `jobs.signals`.

Imports core only."""
