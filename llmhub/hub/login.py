"""The login form of admin and the hub (LOGIN_URL is admin's): it says when the password was
right but the account may not enter, instead of blaming the password.

Saying so only after the right password reveals nothing a wrong guess could learn.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm

from llmhub.hub.permissions import may_enter

NO_ACCESS_MESSAGE = (
    "This account has no access to the hub or the admin; ask an administrator to give it "
    "staff status and the hub permissions."
)


class HubLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "no_access": NO_ACCESS_MESSAGE,
    }

    def confirm_login_allowed(self, user: Any) -> None:
        # The parent refuses a non-staff user with the "wrong password" message.
        if user.is_active and not may_enter(user):
            raise forms.ValidationError(self.error_messages["no_access"], code="no_access")
        super().confirm_login_allowed(user)
