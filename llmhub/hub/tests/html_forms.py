"""Read forms out of rendered HTML and submit them as a browser would.

A browser sends every named input as rendered (hidden, text, password, number ...), checked
checkboxes and radios only, each select's selected option (else its first), and textareas'
text; the user then types into some of the visible fields. `HtmlForm.filled` refuses to type
into a field the page does not have, so a test cannot post what no user could.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

TEXT_INPUTS = {"", "hidden", "text", "password", "number", "email", "url", "search", "date"}


@dataclass
class HtmlForm:
    method: str
    action: str
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> values

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def filled(self, **typed: str) -> dict[str, str]:
        """The body a browser posts after the user typed `typed` into the form's fields."""
        names = {name for name, _ in self.fields}
        unknown = set(typed) - names
        assert not unknown, f"the form has no field {sorted(unknown)}: {sorted(names)}"
        for name, value in typed.items():
            if name in self.options:
                assert value in self.options[name], f"{value!r} is not an option of {name}"
        body = dict(self.fields)
        body.update(typed)
        return body

    def url(self, page_url: str) -> str:
        return urljoin(page_url, self.action or page_url)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._select: tuple[str, list[str], list[str]] | None = None  # name, values, selected
        self._option: tuple[str | None, bool, list[str]] | None = None  # value, selected, text
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attrs_list}
        if tag == "form":
            method = attrs.get("method", "get").lower()
            self.forms.append(HtmlForm(method, attrs.get("action", ""), attrs))
        elif not self.forms or "disabled" in attrs:
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "select" and attrs.get("name"):
            self._select = (attrs["name"], [], [])
        elif tag == "option" and self._select is not None:
            self._option = (attrs.get("value"), "selected" in attrs, [])
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = (attrs["name"], [])

    def _input(self, attrs: dict[str, str]) -> None:
        kind, name = attrs.get("type", "").lower(), attrs.get("name")
        if not name:
            return
        if kind in TEXT_INPUTS:
            self.forms[-1].fields.append((name, attrs.get("value", "")))
        elif kind in {"checkbox", "radio"} and "checked" in attrs:
            self.forms[-1].fields.append((name, attrs.get("value", "on")))

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            value = value if value is not None else "".join(text).strip()
            self._select[1].append(value)
            if selected:
                self._select[2].append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            self._close_select()
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.forms[-1].fields.append((name, "".join(text).removeprefix("\n")))
            self._textarea = None

    def _close_select(self) -> None:
        assert self._select is not None
        name, values, selected = self._select
        form = self.forms[-1]
        form.options[name] = values
        for value in selected or values[:1]:
            form.fields.append((name, value))
        self._select = None


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
