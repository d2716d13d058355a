"""What a browser sends back from a rendered form, read with the stdlib HTML parser: the one home
of form submission for tests (admin forms, hub pages, the login page).

A browser submits every successful control of the form: enabled inputs with a name (checkboxes
and radios only when checked), textareas (minus the one newline that follows `<textarea>`), the
selected options of each select (the first option of a single select when none is selected), and
the name of the submit button that was pressed. Nothing else: no guessing what Django expects.
Typing into a control the page does not render fails, so a test cannot post what no user could.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

from django.http import HttpResponse
from django.test import Client

UNSENT_INPUTS = {"submit", "button", "image", "reset", "file"}


@dataclass
class Control:
    """One form control as rendered."""

    tag: str
    name: str
    kind: str = ""
    value: str = ""
    checked: bool = False
    multiple: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class HtmlForm:
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.attrs.get("method", "get").lower()

    def url(self, page_url: str) -> str:
        """Where the form posts, from the page it was rendered on."""
        return urljoin(page_url, self.attrs.get("action") or page_url)

    def value(self, name: str) -> str | None:
        """The first value the form sends for `name` as rendered (None: it sends none)."""
        return next((value for key, value in self.submission(None) if key == name), None)

    def filled(self, **typed: str) -> dict[str, str]:
        """The body a browser posts (no named button) after the user typed `typed`; the form
        itself stays as rendered."""
        form = copy.deepcopy(self)
        form.fill(dict(typed))
        return dict(form.submission(None))

    def editable(self) -> list[Control]:
        """Controls a user could change (not hidden inputs, not the CSRF token)."""
        return [c for c in self.controls if c.kind != "hidden"]

    def fill(self, typed: dict[str, str | bool | list[str]]) -> None:
        """Type into the rendered controls as a user would: text for inputs and textareas,
        True/False to tick or untick a checkbox, an option value (or several) for a select,
        the value of the radio button to choose."""
        for name, value in typed.items():
            controls = [c for c in self.controls if c.name == name]
            if not controls:
                raise AssertionError(f"the form renders no control named {name!r}")
            for control in controls:
                _type_into(control, value)

    def submission(self, button: str | None = "_save") -> list[tuple[str, str]]:
        """The (name, value) pairs a browser posts when `button` is clicked (None: the form is
        submitted without a named button)."""
        if button is not None and button not in self.buttons:
            raise AssertionError(f"the form has no submit button named {button!r}: {self.buttons}")
        pairs: list[tuple[str, str]] = []
        for control in self.controls:
            pairs.extend(_sent(control))
        return pairs if button is None else [*pairs, (button, _button_value(button))]


def _type_into(control: Control, value: str | bool | list[str]) -> None:
    if control.kind == "checkbox":
        control.checked = bool(value)
    elif control.kind == "radio":
        control.checked = control.value == value
    elif control.tag == "select":
        wanted = value if isinstance(value, list) else [str(value)]
        missing = set(wanted) - {option for option, _ in control.options}
        assert not missing, f"{control.name} offers no option {sorted(missing)}"
        control.options = [(option, option in wanted) for option, _ in control.options]
    else:
        control.value = str(value)


def _button_value(button: str) -> str:
    return "Save" if button == "_save" else button


def _sent(control: Control) -> list[tuple[str, str]]:
    # A browser posts every line break of a value as CRLF (HTML's form-data set encoding).
    return [(name, _crlf(value)) for name, value in _values(control)]


def _crlf(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _values(control: Control) -> list[tuple[str, str]]:
    if control.tag == "select":
        chosen = [value for value, selected in control.options if selected]
        if not chosen and not control.multiple and control.options:
            chosen = [control.options[0][0]]
        return [(control.name, value) for value in chosen]
    if control.kind in ("checkbox", "radio"):
        return [(control.name, control.value or "on")] if control.checked else []
    return [(control.name, control.value)]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._textarea: Control | None = None
        self._select: Control | None = None
        self._option_attrs: dict[str, str | None] = {}
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self._form = HtmlForm({k: v or "" for k, v in found.items()})
            self.forms.append(self._form)
        elif self._form is not None:
            self._control(tag, found)

    def _control(self, tag: str, found: dict[str, str | None]) -> None:
        assert self._form is not None
        name, disabled = found.get("name"), "disabled" in found
        if tag == "input":
            kind = (found.get("type") or "text").lower()
            if kind == "submit" and name:
                self._form.buttons.append(name)
            if name and not disabled and kind not in UNSENT_INPUTS:
                self._form.controls.append(
                    Control("input", name, kind, found.get("value") or "", "checked" in found)
                )
        elif tag == "button" and name and (found.get("type") or "submit") == "submit":
            self._form.buttons.append(name)
        elif tag == "textarea" and name and not disabled:
            self._textarea = Control("textarea", name, "textarea")
            self._form.controls.append(self._textarea)
        elif tag == "select" and name and not disabled:
            self._select = Control("select", name, "select", multiple="multiple" in found)
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option_attrs, self._option_text = found, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._select is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parsing rules drop one newline right after <textarea>.
            value = self._textarea.value
            self._textarea.value = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "option" and self._select is not None:
            self._end_option()
        elif tag == "select":
            self._select = None

    def _end_option(self) -> None:
        assert self._select is not None
        value = self._option_attrs.get("value")
        text = " ".join(self._option_text.split())
        self._select.options.append((text if value is None else value, self._selected()))
        self._option_attrs = {}

    def _selected(self) -> bool:
        return "selected" in self._option_attrs and "disabled" not in self._option_attrs


def forms_in(html: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def post_forms(html: str) -> list[HtmlForm]:
    return [form for form in forms_in(html) if form.method == "post"]


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def admin_form(html: str) -> HtmlForm:
    """The form of an admin add or change page: the one whose submit button is `_save`, or,
    on a read-only page, the one posting back to the page."""
    forms = forms_in(html)
    saving = [form for form in forms if "_save" in form.buttons]
    if saving:
        assert len(saving) == 1, "more than one form with a _save button"
        return saving[0]
    posting = [form for form in post_forms(html) if "logout" not in form.attrs.get("action", "")]
    assert posting, "no form posting back on the page"
    return posting[0]


def open_admin_form(client: Client, url: str) -> HtmlForm:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    return admin_form(response.content.decode())


def post_as_browser(client: Client, url: str, pairs: list[tuple[str, str]]) -> HttpResponse:
    """urlencoded, as a browser posts a form without file inputs."""
    response = client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded")
    assert isinstance(response, HttpResponse)
    return response
