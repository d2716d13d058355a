"""Who may do what with flags, on top of the default deny (IsAuthenticated).

- Evaluating a flag for yourself: any signed-in user; a token needs `flags.view_flag`.
- Reading configuration, history, or another user's evaluation (`?user_id=`, `/user/{id}/`,
  OFREP): a privileged client, i.e. a user holding `flags.view_flag` who is staff or calls
  with an API token. (A browser user without staff status only ever sees their own result.)
- Writes: a write-scope token or a session (with CSRF), and the Django model permission
  `flags.add_flag` / `change_flag` / `delete_flag`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from llmhub.api.permissions import has_perm, token_of

WRITE_PERMISSIONS = {"add", "change", "delete"}


def has_flag_perm(request: Request, codename: str) -> bool:
    return has_perm(request, f"flags.{codename}_flag")


def is_privileged(request: Request) -> bool:
    if not has_flag_perm(request, "view"):
        return False
    return token_of(request) is not None or bool(request.user.is_staff)


def require_privileged(request: Request, what: str) -> None:
    if not is_privileged(request):
        raise PermissionDenied(
            f"{what} needs a privileged client: staff with flags.view_flag, or an API token "
            "whose user has it."
        )


def _require_perm(request: Request, codename: str) -> None:
    if not has_flag_perm(request, codename):
        raise PermissionDenied(f"Your account lacks the permission flags.{codename}_flag.")


class FlagPermission(BasePermission):
    """Reads the view's `required_permission`: None, "view", "add", "change" or "delete"."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        needed = getattr(view, "required_permission", None)
        token = token_of(request)
        if token is not None:
            if needed in WRITE_PERMISSIONS and not token.can_write:
                raise PermissionDenied("This token is read-only; changing flags needs scope write.")
            _require_perm(request, "view")
        if needed == "view":
            require_privileged(request, "Reading flag configuration")
        elif needed is not None:
            _require_perm(request, needed)
        return True
