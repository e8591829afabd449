"""Sign-in for the browsable API: DRF's login and logout pages, the login throttled."""

from django.contrib.auth import views
from django.urls import path

from core.throttling import login_throttled

app_name = "rest_framework"
urlpatterns = [
    path(
        "login/",
        login_throttled(views.LoginView.as_view(template_name="rest_framework/login.html")),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
