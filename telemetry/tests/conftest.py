"""Fixtures of telemetry's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from flags import analytics
from telemetry import flag_counts
from telemetry.buffer import process_buffer
from telemetry.permissions import VIEW_DASHBOARD_PERMISSION


@pytest.fixture(autouse=True)
def _empty_buffers() -> Iterator[None]:
    """Nothing recorded by an earlier test waits in this process's buffers."""
    process_buffer.clear()
    analytics.drain()
    flag_counts._pending.clear()
    yield
    process_buffer.clear()


@pytest.fixture
def dashboard_reader(django_user_model) -> Client:
    """Signed-in staff with the permission to read the dashboard (not to aggregate)."""
    app_label, codename = VIEW_DASHBOARD_PERMISSION.split(".")
    user = django_user_model.objects.create_user("reader", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    client = Client()
    client.force_login(user)
    return client
