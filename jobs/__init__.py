"""The job engine: Job, JobEvent and ModelCall; submitting (idempotency, the outbox and its
dispatcher), running, recording, events and their streams. It knows no domain: apps above
name their kinds of job in their own choices and declare them in their own `jobs.py`
(imported in their `ready()`); `Job.kind` takes the kinds declared (`jobs.kinds`). They hear
of jobs through `jobs.signals`.

Imports core only."""
