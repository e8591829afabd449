from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Any signed-in user may read; only staff may write."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff
