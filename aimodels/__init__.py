"""AI models, their fallbacks and prices, system settings and their registry, the gateway
that calls the providers (deadline, retries, streams), and model calls inside jobs
(`calls`, announced by `aimodels.signals.model_call_recorded`).

Imports core and jobs."""
