"""Whole numbers from forms and URLs, bounded to what a PostgreSQL INTEGER column holds.

Python reads any number of digits, PostgreSQL's INTEGER stops at 2**31 - 1: an id past that in
a URL, or a number past it in a form, reached the driver and raised (a 500; SQLite took it).
WTForms' NumberRange also raised on numbers too large to compare as a float.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms import IntegerField

INT32_MAX = 2**31 - 1


class BoundedIntegerField(IntegerField):
    """An IntegerField that refuses numbers beyond 32 bits before any validator sees them."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not -INT32_MAX - 1 <= self.data <= INT32_MAX:
            self.data = None
            raise ValueError(_l("This number is too large."))


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: a larger number matches no route, so it is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)
