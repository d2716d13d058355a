"""Helpers for Django code: the template tag, the decorator, the mixin, override_flag, request=."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404, HttpRequest, HttpResponse
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.views import View

import flags
from flags import services
from flags.decorators import flag_required
from flags.mixins import FlagRequiredMixin
from flags.testutils import override_flag
from llmhub.actors import Actor

ACTOR = Actor.system("tests")
TEMPLATE = '{% load flags %}{% flag "hub" %}NEW{% else %}OLD{% endflag %}'


def _request(user: object | None = None, session_key: str | None = None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()  # type: ignore[assignment]
    session = SessionStore()
    if session_key:
        session._session_key = session_key
    request.session = session
    return request


@pytest.fixture
def hub_for_amy(db: None) -> None:
    services.flag_create(
        name="hub", actor=ACTOR, source="command", enabled=True, whitelist_users=["amy", "sess-123"]
    )


@pytest.fixture
def amy(django_user_model):
    return django_user_model.objects.create_user("amy", password="pw")


def test_request__uses_signed_in_username(hub_for_amy, amy) -> None:
    assert flags.evaluate("hub", request=_request(amy)).reason == "WHITELISTED"


def test_request__anonymous_uses_session_key(hub_for_amy) -> None:
    assert flags.is_enabled("hub", request=_request(session_key="sess-123"))
    assert flags.evaluate("hub", request=_request()).reason == "DEFAULT"


def test_user_id__explicit_wins_over_request(hub_for_amy, amy) -> None:
    assert flags.is_enabled("hub", "zed", request=_request(amy)) is False


def test_template_tag__renders_branch_for_user(hub_for_amy, amy, django_user_model) -> None:
    zed = django_user_model.objects.create_user("zed", password="pw")
    template = Template(TEMPLATE)
    assert template.render(Context({"request": _request(amy)})) == "NEW"
    assert template.render(Context({"request": _request(zed)})) == "OLD"


def test_template_tag__without_else_and_without_request(hub_for_amy, amy) -> None:
    template = Template('{% load flags %}[{% flag "hub" %}NEW{% endflag %}]')
    assert template.render(Context({"request": _request(amy)})) == "[NEW]"
    assert template.render(Context({})) == "[]"


def test_template_tag__needs_a_name() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template("{% load flags %}{% flag %}x{% endflag %}")


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_decorator__serves_when_on_404_when_off(hub_for_amy, amy, django_user_model) -> None:
    zed = django_user_model.objects.create_user("zed", password="pw")
    view = flag_required("hub")(_view)
    assert view(_request(amy)).status_code == 200
    with pytest.raises(Http404):
        view(_request(zed))


def test_decorator__redirects_when_asked(hub_for_amy, django_user_model) -> None:
    zed = django_user_model.objects.create_user("zed", password="pw")
    response = flag_required("hub", redirect_to="/old/")(_view)(_request(zed))
    assert (response.status_code, response["Location"]) == (302, "/old/")


class _HubView(FlagRequiredMixin, View):
    flag_name = "hub"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("hub")


def test_mixin__serves_when_on_404_when_off(hub_for_amy, amy, django_user_model) -> None:
    zed = django_user_model.objects.create_user("zed", password="pw")
    assert _HubView.as_view()(_request(amy)).status_code == 200
    with pytest.raises(Http404):
        _HubView.as_view()(_request(zed))


def test_override_flag__as_context_manager_restores(hub_for_amy) -> None:
    with override_flag("hub", active=True):
        assert flags.is_enabled("hub", "zed")
        with override_flag("hub", active=False):
            assert not flags.is_enabled("hub", "amy")
        assert flags.is_enabled("hub", "zed")
    assert not flags.is_enabled("hub", "zed")


@override_flag("brand-new", active=True)
def test_override_flag__as_decorator_even_for_unknown_flags() -> None:
    assert flags.evaluate("brand-new").reason == "OVERRIDE"
    assert flags.is_enabled("brand-new")
