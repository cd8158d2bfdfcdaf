"""Writing a proposal on a phone: the kind first, then only its fields; a refused draft puts
its error summary first and moves the focus there, with no script on the page."""

from __future__ import annotations

from typing import Any

from tests.e2e.a11y import active_element
from tests.e2e.browse import sign_in
from tests.e2e.conftest import PHONE
from tests.e2e.data import live_vote
from tests.e2e.walk import every_problem_on


def test_a_refused_proposal_moves_the_focus_to_its_error_summary(
    db_session: Any, new_page: Any, shot: Any
) -> None:
    vote = live_vote()
    page = new_page(PHONE)
    sign_in(page, vote.voter)
    page.goto("/proposals/new")
    page.get_by_role("link", name="Spending").click()
    assert page.get_by_label("Amount (yuan, spending only)").is_visible()
    assert page.locator("textarea[name=new_rules]").count() == 0  # no JSON box

    page.get_by_label("Title").fill("Hi")  # too short, and no body at all
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    shot(page, "refused")
    focused = active_element(page)
    assert focused["tag"] == "div" and "nothing was saved" in focused["text"]
    assert not every_problem_on(page)

    page.locator(".error-summary a[href='#title']").click()  # each problem leads to its field
    assert page.url.endswith("#title")
