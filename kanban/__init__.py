"""The board: tasks, dependencies, claims, moves and their ordering keys, briefs and approval
checkpoints, planning jobs (plan, expand, complexity, draft brief), commits from diffs and
their record.

Imports core, jobs, aimodels and projects."""
