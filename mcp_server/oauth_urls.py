"""The authorization server under /o/ (names in DOT's namespace, `oauth2_provider:...`): only
what MCP clients use. Its metadata is at the origin's /.well-known/oauth-authorization-server
(orchestrator/urls.py): the issuer is the origin."""

from django.urls import path
from oauth2_provider import views as oauth2_views

from mcp_server import oauth_views

app_name = "oauth2_provider"
urlpatterns = [
    path("authorize/", oauth_views.AuthorizationView.as_view(), name="authorize"),
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("register/", oauth_views.client_registration, name="register"),
]
