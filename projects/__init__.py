"""Projects, interviews, prompts (versions, labels, composition, rendering), budgets and the
usage endpoint.

Imports core, jobs and aimodels."""
