"""Who may call an endpoint, for the API (the pages use creators.access).

Signed out is 401 (the authentication classes answer that first); signed in without the right
role is 403 with a sentence saying which role the endpoint is for.
"""

from rest_framework import permissions
from rest_framework.request import Request

from creators.roles import FINANCE


def _is_creator(user) -> bool:
    return bool(user and user.is_authenticated and hasattr(user, "creator_profile"))


class IsCreator(permissions.BasePermission):
    """Creators only, for every method."""

    message = "Only creators may use this endpoint."

    def has_permission(self, request: Request, view) -> bool:
        return _is_creator(request.user)


class IsCreatorForWrites(permissions.BasePermission):
    """Anyone signed in may read; only creators may write."""

    message = "Only creators may do this."

    def has_permission(self, request: Request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or _is_creator(request.user)


class IsFinanceStaff(permissions.BasePermission):
    """Staff in the Finance group (or superusers): endpoints that move money by hand."""

    message = "Only Finance staff may do this."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return user.is_superuser or user.groups.filter(name=FINANCE).exists()


def creator_only(message: str) -> type[IsCreator]:
    """IsCreator with the endpoint's own refusal sentence."""
    return type("IsCreator", (IsCreator,), {"message": message})


def creator_only_for_writes(message: str) -> type[IsCreatorForWrites]:
    return type("IsCreatorForWrites", (IsCreatorForWrites,), {"message": message})
