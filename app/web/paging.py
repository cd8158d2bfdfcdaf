"""Pages of a long list: `?page=N`, counted once, shown with the `pager` macro.

A page with two lists names the second one's parameter (`param="apage"`), and the pager keeps
the other list's page in its links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from app.core.extensions import db

MAX_PAGE = 100_000


@dataclass
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int
    param: str = "page"
    size: int = 0


def requested_page(param: str = "page") -> int:
    raw = request.args.get(param, "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and len(raw) < 7 and raw != "0" else 1


def page_number_of(position: int, size: int) -> int:
    """The page that shows the item at `position` (0-based) of the list."""
    return position // size + 1


def paginate(query: Select[Any], size: int, *, scalars: bool = True, param: str = "page") -> Page:
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, (total + size - 1) // size)
    page = min(requested_page(param), pages)
    windowed = query.limit(size).offset((page - 1) * size)
    items = list(db.session.scalars(windowed) if scalars else db.session.execute(windowed))
    return Page(items, page, pages, total, param, size)


def page_of_list(items: list[Any], size: int, param: str = "page") -> Page:
    """A page of a list already built in Python (a discussion's threads, budget lines)."""
    total = len(items)
    pages = max(1, (total + size - 1) // size)
    page = min(requested_page(param), pages)
    return Page(items[(page - 1) * size : page * size], page, pages, total, param, size)
