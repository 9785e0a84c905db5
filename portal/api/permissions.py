"""Permission helpers shared by the API and the pages.

Roles: anonymous (nothing), engineer (any signed-in user: reads everything), team owner (edits its
team's services, APIs and versions), staff admin (everything).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    """Signed-in users read; only staff write."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.is_staff


class IsStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
