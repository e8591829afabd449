from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from activity.views import ProjectActivityView, ProjectEventsView, TaskActivityView
from core import token_views
from core.throttling import login_throttled
from kanban.views import AnalyzeComplexityView, BoardView, NextTaskView, PromptPlanView
from mcp_server.oauth_views import authorization_server_metadata
from mcp_server.views import METADATA_PATH, mcp_endpoint, protected_resource_metadata
from orchestrator import views
from orchestrator.api import router
from projects.views import ProjectUsageView
from provenance.views import CommitProvenanceView, TaskProvenanceView

urlpatterns = [
    path("", TemplateView.as_view(template_name="orchestrator/landing.html"), name="landing"),
    path("favicon.ico", views.favicon),
    path("admin/login/", login_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", token_views.TokenView.as_view(), name="api-token"),
    path("api/v1/auth/logout/", token_views.LogoutView.as_view(), name="api-logout"),
    path("api/v1/auth/logout-all/", token_views.LogoutAllView.as_view(), name="api-logout-all"),
    path("api/v1/projects/<uuid:pk>/board/", BoardView.as_view(), name="project-board"),
    path("api/v1/projects/<uuid:pk>/next-task/", NextTaskView.as_view(), name="project-next-task"),
    path("api/v1/projects/<uuid:pk>/usage/", ProjectUsageView.as_view(), name="project-usage"),
    path("api/v1/projects/<uuid:pk>/activity/", ProjectActivityView.as_view(), name="project-activity"),
    path("api/v1/projects/<uuid:pk>/events/", ProjectEventsView.as_view(), name="project-events"),
    path("api/v1/tasks/<uuid:pk>/activity/", TaskActivityView.as_view(), name="task-activity"),
    path("api/v1/tasks/<uuid:pk>/provenance/", TaskProvenanceView.as_view(), name="task-provenance"),
    path("api/v1/commits/<uuid:pk>/provenance/", CommitProvenanceView.as_view(), name="commit-provenance"),
    path(
        "api/v1/projects/<uuid:pk>/analyze-complexity/",
        AnalyzeComplexityView.as_view(),
        name="project-analyze-complexity",
    ),
    path("api/v1/prompts/<uuid:pk>/plan/", PromptPlanView.as_view(), name="prompt-plan"),
    path("api/v1/", include(router.urls)),
    path("mcp", mcp_endpoint),
    path("mcp/", mcp_endpoint, name="mcp"),
    path(METADATA_PATH.lstrip("/"), protected_resource_metadata, name="mcp-resource-metadata"),
    path(f"{METADATA_PATH.lstrip('/')}/", protected_resource_metadata),
    path("o/", include("mcp_server.oauth_urls")),
    path(
        ".well-known/oauth-authorization-server",
        authorization_server_metadata,
        name="oauth-authorization-server-metadata",
    ),
    path("api/auth/", include("orchestrator.session_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="orchestrator/redoc.html"),
        name="redoc",
    ),
    # Last: whatever else is under /api/ answers the API's JSON 404, in DEBUG too.
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),
]

handler400 = "orchestrator.views.bad_request"
handler404 = "orchestrator.views.page_not_found"
handler500 = "orchestrator.views.server_error"
