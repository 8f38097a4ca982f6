"""What a JSON-RPC method is: a name, a parser per positional parameter, and a handler that
gets the request context and the parsed values.

Namespace modules declare their methods with `Namespace.method`; the server looks them up by
name. Binding checks the parameter count and runs each parser; any parser failure is -32602
with the argument's position in the message, before the handler runs, so malformed params
never change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pyeth.errors import DecodingError
from pyeth.rpc.errors import InvalidParams, RpcError

if TYPE_CHECKING:
    from pyeth.node import Node
    from pyeth.rpc.filters import Filters

Parser = Callable[[Any], Any]


class Connection(Protocol):
    """A WebSocket connection as subscriptions see it: somewhere to push notifications.
    A notification with a `coalesce_key` may replace the previous one under that key still
    waiting for a client that has fallen behind (newHeads: the newest head is what counts)."""

    def notify(self, message: dict[str, Any], coalesce_key: str | None = None) -> None: ...

    def on_close(self, callback: Callable[[], None]) -> None: ...


@dataclass(slots=True)
class RpcContext:
    """What a handler may use: the node, the filter registry, and the WebSocket connection the
    request came on (None over HTTP)."""

    node: Node
    filters: Filters
    connection: Connection | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """One positional parameter: its parser, and whether it may be left out (or null)."""

    name: str
    parse: Parser
    required: bool = True
    default: Any = None


def required(name: str, parse: Parser) -> Param:
    return Param(name, parse)


def optional(name: str, parse: Parser, default: Any = None) -> Param:
    return Param(name, parse, required=False, default=default)


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    handler: Callable[..., Any]
    params: tuple[Param, ...]

    def bind(self, raw: Sequence[Any]) -> list[Any]:
        """The parsed arguments for `raw` positional params.

        Raises:
            InvalidParams: too many or too few params, or one that does not parse.
        """
        if len(raw) > len(self.params):
            raise InvalidParams(f"too many arguments, want at most {len(self.params)}")
        args = []
        for index, param in enumerate(self.params):
            value = raw[index] if index < len(raw) else None
            if value is None:
                if param.required:
                    raise InvalidParams(f"missing value for required argument {index}")
                args.append(param.default)
                continue
            try:
                args.append(param.parse(value))
            except RpcError:
                raise
            except (DecodingError, ValueError, TypeError, KeyError, OverflowError) as exc:
                raise InvalidParams(f"invalid argument {index} ({param.name}): {exc}") from None
        return args


@dataclass(slots=True)
class Namespace:
    """The methods of one namespace module, by name."""

    methods: dict[str, Method] = field(default_factory=dict)

    def method(
        self, name: str, *params: Param
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function as method `name` taking `params`."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            if name in self.methods:
                raise ValueError(f"method {name} is registered twice")
            self.methods[name] = Method(name, handler, params)
            return handler

        return register
