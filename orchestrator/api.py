"""The v1 REST API: one router for every resource."""

from rest_framework.routers import DefaultRouter

from aimodels.views import AIModelViewSet, SystemSettingsViewSet
from chat.views import ChatSessionViewSet
from jobs.views import JobViewSet
from kanban.views import CommitViewSet, TaskViewSet
from projects.views import InterviewViewSet, ProjectViewSet, PromptViewSet
from webhooks.views import WebhookViewSet

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("interviews", InterviewViewSet, basename="interview")
router.register("prompts", PromptViewSet, basename="prompt")
router.register("tasks", TaskViewSet, basename="task")
router.register("commits", CommitViewSet, basename="commit")
router.register("chat-sessions", ChatSessionViewSet, basename="chatsession")
router.register("ai-models", AIModelViewSet, basename="aimodel")
router.register("settings", SystemSettingsViewSet, basename="setting")
router.register("jobs", JobViewSet, basename="job")
router.register("webhooks", WebhookViewSet, basename="webhook")
