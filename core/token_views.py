"""The token endpoints: sign in for a token, log out one or every token."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny

from core.schema import ErrorSerializer, ValidationErrorSerializer
from core.throttling import LoginRateThrottle, LoginUsernameRateThrottle
from core.tokens import TokenAuthentication

TokenSerializer = inline_serializer(
    name="Token",
    fields={
        "token": serializers.CharField(help_text="Send it as `Authorization: Token <token>`."),
        "expiry": serializers.DateTimeField(help_text="When the token stops working."),
    },
)


class TokenView(views.LoginView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`);
    the user's expired tokens go at the same time."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle, LoginUsernameRateThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 400: ValidationErrorSerializer, 429: ErrorSerializer},
        auth=[],
    )
    def post(self, request, format=None):
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        request.user = credentials.validated_data["user"]
        AuthToken.objects.filter(user=request.user, expiry__lt=timezone.now()).delete()
        return super().post(request, format)


class LogoutView(views.LogoutView):
    """Revoke the token this request is made with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllView(views.LogoutAllView):
    """Revoke every token of the requesting user."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request, format=None):
        return super().post(request, format)
