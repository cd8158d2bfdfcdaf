"""GET /search?q=…&kind=…&page=…"""

from __future__ import annotations

import unicodedata

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.search import backend
from app.search.documents import link
from app.search.models import KINDS

bp = Blueprint("search", __name__)
PAGE = 20
MAX_PAGE = 500
KIND_LABELS = {
    "proposal": _l("Proposals"),
    "motion": _l("Council motions"),
    "community": _l("Communities"),
    "ledger": _l("Treasury ledger"),
    "log": _l("Transparency log"),
}


def query_problem(query: str) -> str | None:
    """Why a search string is refused, or None. Refused, not cleaned: what was asked is shown."""
    if len(query) > backend.MAX_QUERY:
        return _("A search may be at most %(max)s characters long.", max=backend.MAX_QUERY)
    for ch in query:
        # Cc: control characters (tab and newline included: a search box has one line);
        # Cf: invisible format characters such as bidirectional overrides.
        if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d":
            code = format(ord(ch), "04X")
            return _("A search may not contain control or invisible formatting characters "
                     "(found U+%(code)s).", code=code)
    return None


@bp.get("/search")
def search() -> tuple[str, int]:
    raw = request.args.get("q", "")
    kinds = [k for k in request.args.getlist("kind") if k in KINDS]
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and len(page_arg) < 6 else 0
    problem = query_problem(raw)
    if problem is None and not 1 <= page <= MAX_PAGE:
        problem = _("There is no such page of results.")
    if problem:
        return render_template("search/results.html", q=raw[:backend.MAX_QUERY], kinds=kinds,
                               labels=KIND_LABELS, problem=problem, hits=[], total=0, page=1,
                               pages=0, link=link), 400
    query = raw.strip()
    hits, total = backend.search(query, kinds, page, PAGE) if query else ([], 0)
    pages = (total + PAGE - 1) // PAGE
    return render_template("search/results.html", q=query, kinds=kinds, labels=KIND_LABELS,
                           problem=None, hits=hits, total=total, page=page, pages=pages,
                           link=link), 200
