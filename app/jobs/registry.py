"""Job handlers by name. Domain packages register theirs; nothing here imports them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], str | None]

HANDLERS: dict[str, Handler] = {}

# The modules whose import registers handlers; a worker imports them all before it starts.
HANDLER_MODULES = (
    "app.jobs.builtin",
    "app.notifications.jobs",
    "app.search.index",
)


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return HANDLERS
