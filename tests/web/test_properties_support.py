"""Shared pieces of the bad-input property tests (no tests here).

`snapshot()` is a checksum of every row of every table: a rejected request must leave it
exactly as it was. The one write a refusal is allowed is the audit of the refusal itself
(`audit_events` rows with outcome "refused", written in their own transaction), so those rows
are left out of the checksum.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from app.core.extensions import db

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# Values that have broken form handling somewhere before: empty, blanks, NUL and other control
# characters (PostgreSQL refuses NUL in text), lone-surrogate-free but odd Unicode, numbers at
# and past every boundary, dates that do not exist, markup and SQL.
BOUNDARY = [
    "", " ", "\t\n", "\x00", "a\x00b", "\x1b[31m", "\u202e", "\ufeff", "💥" * 3, "名" * 50,
    "0", "-1", "1", "00", "0.00", "0.001", "1.", ".5", "1e309", "NaN", "inf", "-0",
    "9" * 30, str(2**63), str(-(2**63) - 1), "１２３", "١٢٣",
    "2026-02-30", "0000-01-01", "9999-12-31", "9999-12-31T23:59", "2026-01-01T25:61",
    "<script>alert(1)</script>", "'; DROP TABLE users; --", "%s%s%n", "../../etc/passwd",
    "proposal:1", "member:0", "for", "against", "abstain", "yes", "no",
]

HUGE = st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"), st.integers(1, 60_000))

# Any value a hostile or clumsy client could post for one field.
garbage = st.one_of(
    st.sampled_from(BOUNDARY),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8", min_codepoint=0, max_codepoint=0x7F)),
    st.integers().map(str),
    HUGE,
)


def field_value(plausible: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    """Omitted, garbage, or (half the time, when given) a plausible value for the field."""
    options: list[st.SearchStrategy[Any]] = [st.none(), garbage, st.lists(garbage, max_size=3)]
    if plausible is not None:
        options += [plausible, plausible]
    return st.one_of(*options)


def form_data(fields: dict[str, st.SearchStrategy[str] | None]) -> st.SearchStrategy[dict]:
    """A form body: each field omitted, garbage or plausible; None values are left out."""
    strategy = st.fixed_dictionaries({name: field_value(p) for name, p in fields.items()})
    return strategy.map(lambda d: {k: v for k, v in d.items() if v is not None})


def snapshot(ignore: frozenset[str] = frozenset()) -> str:
    """A checksum of all rows of all tables; `ignore` names "table.column" left out."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        value = db.session.execute(text(_postgres_checksum_sql(ignore))).scalar_one()
        db.session.rollback()
        return str(value)
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        columns = _kept(table, ignore)
        query = select(*columns)
        if table.name == "audit_events":
            query = query.where(table.c.outcome != "refused")
        query = query.order_by(*[c for c in table.primary_key.columns] or columns)
        digest.update(table.name.encode())
        for row in db.session.execute(query):
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()
    return digest.hexdigest()


def _kept(table: Any, ignore: frozenset[str]) -> list[Any]:
    return [c for c in table.columns if f"{table.name}.{c.name}" not in ignore]


def _postgres_checksum_sql(ignore: frozenset[str]) -> str:
    """The same checksum in ONE query: a round trip per table made each example slow.

    Each table's rows as ROW(...)::text (NULL and '' differ there), sorted, hashed; the table
    hashes joined in table order. Names come from our own metadata, not from input.
    """
    parts = []
    for n, table in enumerate(db.metadata.sorted_tables):
        row = "ROW(" + ", ".join(f'"{c.name}"' for c in _kept(table, ignore)) + ")::text"
        where = " WHERE outcome <> 'refused'" if table.name == "audit_events" else ""
        hashed = f"coalesce(md5(string_agg({row}, ',' ORDER BY {row})), '')"
        query = f"SELECT {n} AS n, '{table.name}:' || {hashed} AS h FROM \"{table.name}\""  # noqa: S608
        parts.append(query + where)
    union = " UNION ALL ".join(parts)
    return f"SELECT string_agg(h, ';' ORDER BY n) FROM ({union}) s"  # noqa: S608 - our names


class Checksums:
    """`snapshot()` taken once and reused until a request may have written something.

    A refused request is checked by taking the checksum again; since that must equal the
    previous one, it is also the next example's "before", which halves the reads.
    """

    def __init__(self, ignore: frozenset[str] = frozenset()) -> None:
        self.ignore = ignore
        self.last: str | None = None

    def before(self) -> str:
        if self.last is None:
            self.last = snapshot(self.ignore)
        return self.last

    def after(self) -> str:
        self.last = snapshot(self.ignore)
        return self.last

    def forget(self) -> None:
        """Call after every request: it may have written."""
        self.last = None


def flashes(client: Any) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def clear_flashes(client: Any) -> None:
    with client.session_transaction() as session:
        session.pop("_flashes", None)


def refused(response: Any, client: Any) -> bool:
    """Did the app refuse the request? A 4xx, a re-rendered form, or an error flash."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200 and response.request.method == "POST":
        return True
    return any(category == "error" for category, _message in flashes(client))


def explains_itself(response: Any, client: Any) -> bool:
    """A refusal says why: an error flash, a field error, an error page or a JSON error."""
    if any(category == "error" for category, _message in flashes(client)):
        return True
    body = response.get_data(as_text=True)
    if response.status_code >= 400:
        return bool(body.strip())
    # A flash shown on the page it was set for is no longer in the session.
    return any(mark in body for mark in ('class="error"', "has-error", 'role="alert"',
                                         "flash-error"))
