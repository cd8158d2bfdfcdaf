"""The public reads a sealed result, at desktop and phone widths, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browse import fact, nav_link, switch_language
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.data import sealed_vote

TITLE = "Owner care fund for owners in hardship"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_public_reads_a_sealed_result_from_the_results_list(
    db_session: Any, new_page: Any, shot: Any, viewport: dict[str, int]
) -> None:
    sealed_vote(TITLE)
    page = new_page(viewport)

    page.goto("/")
    nav_link(page, "Results").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("heading", level=1, name=TITLE).wait_for()
    shot(page, "result")

    # 3,000 + 2,000 for, 1,200 against: the bars say so to screen readers too.
    assert page.get_by_role("img", name="Yes: 80.6%").count() == 1
    assert page.get_by_role("img", name="No: 19.4%").count() == 1
    assert "Passed" in page.get_by_role("heading", name="Outcome").inner_text()
    assert fact(page, "Owners who voted") == "3"
    assert fact(page, "Weight that voted") == "6,200"
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= viewport["width"], "the result page scrolls sideways"


def test_the_language_switch_serves_the_result_in_chinese_and_back(
    db_session: Any, page: Any, shot: Any
) -> None:
    proposal_id = sealed_vote(TITLE)
    page.goto(f"/results/{proposal_id}/")
    assert page.locator("html").get_attribute("lang") == "en"
    bars = page.get_by_role("img").count()

    switch_language(page, "zh_Hans_CN")
    shot(page, "result-zh")
    assert page.url.endswith(f"/results/{proposal_id}/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert page.get_by_role("img").count() == bars
    # The header now offers the other language, named in that language.
    assert page.get_by_role("banner").get_by_role("button").all_inner_texts() == ["English"]

    page.goto("/")  # the choice is remembered from page to page
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"

    page.goto(f"/results/{proposal_id}/")
    switch_language(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Outcome").count() == 1
