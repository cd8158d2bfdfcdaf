"""The trustees page of a key ceremony with complaints (one answered wrongly: a dealer
disqualified), in Chinese and in English, on a phone and a laptop: it fits and passes the
layout and accessibility checks."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.extensions import db
from tests.e2e.browse import switch_language
from tests.e2e.walk import every_problem_on
from tests.web.secret_helpers import (
    answer_wrongly,
    check_and_confirm,
    keygen_and_deal,
    open_secret_vote,
)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"], ids=["zh", "en"])
def test_the_trustees_page_with_complaints_fits_and_passes_the_checks(
    app: Any, db_session: Any, new_page: Any, language: str
) -> None:
    client = app.test_client()
    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote, cheat=(2, 1))
    check_and_confirm(client, vote, trustees)
    answer_wrongly(client, vote)
    db.session.commit()
    db.session.remove()  # SQLite: the live server needs the lock an open read would hold
    page = new_page(PHONE)
    page.goto(f"/proposals/{vote.id}/trustees")
    switch_language(page, language)
    assert page.locator("#complaints").is_visible()
    assert page.locator("#disqualified").is_visible()
    problems = []
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        problems += [f"{size['width']} px: {p}" for p in every_problem_on(page)]
    assert not problems, "\n".join(problems)
