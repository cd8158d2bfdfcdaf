"""GET /search on both databases: Chinese and English, filters, pages, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.jobs.models import Job
from app.search.index import reindex_all
from app.search.models import SearchDocument
from tests.factories import install_charter, make_open_vote, make_owner
from tests.jobs_helpers import running_worker, wait_for

# Real commits: a worker process reads what the test commits.
pytestmark = pytest.mark.real_commits


def _vote(title: str) -> str:
    council = make_owner(500, role="council")
    author = make_owner(3000)
    return make_open_vote(author, council, title=title)


def _idle() -> bool:
    busy = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running"))))
    db.session.commit()
    return busy == 0


def test_a_new_proposal_is_found_by_a_chinese_word_once_a_worker_indexed_it(
    app: Any, client: Any, db_session: Any
) -> None:
    install_charter()
    proposal_id = _vote("充电桩补贴方案 Charging subsidies for owners")
    db.session.commit()
    assert "充电桩补贴方案" not in client.get("/search?q=补贴").get_data(as_text=True)
    with running_worker(app):
        wait_for(_idle)
    for query in ("补贴", "充电桩", "charging", "CHARGING SUBSIDIES", "充电桩 owners"):
        page = client.get("/search", query_string={"q": query})
        assert page.status_code == 200
        assert f"/proposals/{proposal_id}" in page.get_data(as_text=True), query
    other = client.get("/search?q=电动自行车").get_data(as_text=True)
    assert f"/proposals/{proposal_id}" not in other
    # The log records the vote's opening; its leaf is searchable too.
    log_hits = client.get("/search", query_string={"q": proposal_id, "kind": "log"})
    assert "/log?page=0#leaf-" in log_hits.get_data(as_text=True)


def test_english_words_match_their_other_forms_on_postgresql(
    client: Any, db_session: Any, is_postgres: bool
) -> None:
    install_charter()
    proposal_id = _vote("Subsidy for home chargers")
    reindex_all()
    db.session.commit()
    text = client.get("/search?q=subsidies").get_data(as_text=True)
    # PostgreSQL's English stemming; SQLite's trigrams match substrings only.
    assert (f"/proposals/{proposal_id}" in text) == is_postgres


def test_results_are_filtered_by_kind_and_paginated(client: Any, db_session: Any) -> None:
    for n in range(45):
        db.session.add(SearchDocument(kind="log", ref=str(n), title=f"#{n} 预算 budget", body=""))
    db.session.add(SearchDocument(kind="community", ref="1", title="预算 club", body=""))
    db.session.commit()
    first = client.get("/search?q=预算").get_data(as_text=True)
    assert "46" in first and "Page 1 of 3" in first
    third = client.get("/search?q=预算&page=3").get_data(as_text=True)
    assert third.count('class="snippet"') == 6
    only = client.get("/search?q=预算&kind=community").get_data(as_text=True)
    assert only.count('class="snippet"') == 1


def test_bad_search_strings_are_refused_with_a_reason_not_an_error(client: Any) -> None:
    for bad in ("abc\x07def", "a\u202eb", "x" * 1_000_000, "line\nbreak"):
        page = client.get("/search", query_string={"q": bad})
        assert page.status_code == 400
        assert 'id="q-error"' in page.get_data(as_text=True)
    assert client.get("/search", query_string={"q": "a\x00b"}).status_code == 400
    assert client.get("/search?q=x&page=0").status_code == 400
    assert client.get("/search?q=%25%5F%5C").status_code == 200  # LIKE wildcards are literal
