"""Webhook subscriptions and deliveries, fed by `activity.signals.activity_recorded` and
`jobs.signals.job_finished`; delivered by jobs on their own queue.

Imports the apps below it (core to activity); no app imports it."""
