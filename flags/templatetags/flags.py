"""`{% flag "name" %}...{% else %}...{% endflag %}`: the block for users the flag is on for."""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context

from flags.client import is_enabled

register = template.Library()


class FlagNode(template.Node):
    def __init__(self, name: FilterExpression, on: NodeList, off: NodeList) -> None:
        self.name = name
        self.on = on
        self.off = off

    def render(self, context: Context) -> str:
        name = str(self.name.resolve(context))
        request = context.get("request")
        if request is None:
            # Without a request there is nobody to evaluate for: show the "off" branch.
            return self.off.render(context)
        branch = self.on if is_enabled(name, request=request) else self.off
        return branch.render(context)


@register.tag("flag")
def do_flag(parser: Parser, token: Token) -> FlagNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes exactly one argument: the flag name")
    on = parser.parse(("else", "endflag"))
    token = parser.next_token()
    off = NodeList()
    if token.contents == "else":
        off = parser.parse(("endflag",))
        parser.delete_first_token()
    return FlagNode(parser.compile_filter(bits[1]), on, off)
