"""One search interface over two databases' text indexes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select, text

from app.core.extensions import db
from app.search.models import SearchDocument

MAX_QUERY = 200
MAX_TERMS = 8
PG_DOCUMENT = "(search_documents.title || ' ' || search_documents.body)"


@dataclass
class Hit:
    kind: str
    ref: str
    title: str
    snippet: str
    at: object


def terms_of(query: str) -> list[str]:
    return [t for t in query.split() if t][:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _substring_match(term: str) -> ColumnElement[bool]:
    pattern = _like(term)
    return or_(
        SearchDocument.title.ilike(pattern, escape="\\"),
        SearchDocument.body.ilike(pattern, escape="\\"),
    )


def _fts5_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _conditions(terms: list[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # Words (stemmed English) through the tsvector index, or substrings through the trigram
        # index: "subsidies" finds "subsidy", and 补贴 finds 充电桩补贴方案.
        # Written exactly as the migration's two expression indexes, so that they are used.
        document = literal_column(PG_DOCUMENT)
        stemmed = func.to_tsvector(literal_column("'english'::regconfig"), document).op("@@")(
            func.plainto_tsquery(literal_column("'english'::regconfig"), " ".join(terms))
        )
        return or_(stemmed, and_(*[document.ilike(_like(t), escape="\\") for t in terms]))
    # SQLite FTS5 trigram: terms of three characters or more go through the index; shorter ones
    # (most two-character Chinese words) the trigram index cannot hold, so they match by LIKE.
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    parts: list[ColumnElement[bool]] = [_substring_match(t) for t in short_terms]
    if long_terms:
        parts.append(
            SearchDocument.id.in_(
                select(literal_column("rowid"))
                .select_from(text("search_fts"))
                .where(text("search_fts MATCH :fts").bindparams(
                    fts=" AND ".join(_fts5_phrase(t) for t in long_terms)))
            )
        )
    return and_(*parts)


def search(query: str, kinds: list[str] | None, page: int, size: int) -> tuple[list[Hit], int]:
    terms = terms_of(query)
    if not terms:
        return [], 0
    dialect = db.session.get_bind().dialect.name
    where = _conditions(terms, dialect)
    if kinds:
        where = and_(where, SearchDocument.kind.in_(kinds))
    total = int(db.session.scalar(select(func.count()).select_from(SearchDocument).where(where))
                or 0)
    in_title = case((SearchDocument.title.ilike(_like(terms[0]), escape="\\"), 1), else_=0)
    rows = db.session.execute(
        select(SearchDocument.kind, SearchDocument.ref, SearchDocument.title,
               SearchDocument.body, SearchDocument.at)
        .where(where)
        .order_by(in_title.desc(), SearchDocument.at.desc(), SearchDocument.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return [Hit(k, r, t, snippet(b, terms), at) for k, r, t, b, at in rows], total


def snippet(body: str, terms: list[str], width: int = 160) -> str:
    lowered = body.lower()
    found = min((i for i in (lowered.find(t.lower()) for t in terms) if i >= 0), default=0)
    start = max(0, found - width // 3)
    piece = body[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(body) else "")
