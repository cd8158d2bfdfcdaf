"""The whole demo trust, walked page by page on a phone (390 px) and a laptop (1366 px), in
Chinese and in English, by the public, an owner, the council chair and the administrator.

Each walk follows the links a person would follow (see walk.py) and fails on any page that
scrolls sideways (or holds a box that does), text cut off, a tap target under 44 px, or an
accessibility failure (labels, names, headings, contrast: audit.js)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.demo.build import DEMO_PASSWORD, build_demo
from app.proposals.models import Proposal
from tests.e2e.browse import open_menu, switch_language
from tests.e2e.data import live_vote
from tests.e2e.walk import endpoints_of, every_problem_on, walk

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

# Where each walker starts; from there the walk follows links. An owner's dashboard links to
# their votes and receipts, the chair's queue to what awaits the council, the admin's index to
# the audit trail, keys and imports.
WALKERS = {
    "public": ("", ["/", "/verify", "/register"]),
    "owner": ("owner1@demo.trust", ["/me/", "/proposals/new", "/me/tokens", "/communities/apply"]),
    "chair": ("chair@demo.trust", ["/council/queue", "/council/motions/new", "/treasury/"]),
    "admin": ("admin@demo.trust", ["/admin/", "/treasury/income/new"]),
}


@pytest.fixture
def demo(db_session: Any) -> str:
    """The demo trust, built; returns the id of its open vote (whose result page is linked
    from nowhere yet, but shared links lead there)."""
    for _ in build_demo():
        pass
    db.session.commit()
    open_vote = db.session.scalar(select(Proposal.id).where(Proposal.state == "voting"))
    db.session.remove()  # on SQLite an open transaction would hold the live server's writes
    assert open_vote is not None
    return str(open_vote)


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me/**")


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"], ids=["zh", "en"])
def test_every_demo_page_fits_a_phone_and_a_laptop_and_passes_the_checks(
    demo: str, new_page: Any, live_app: Any, shot: Any, language: str
) -> None:
    problems: list[str] = []
    visited = 0
    public: Counter[str] = Counter()
    for who, (email, start) in WALKERS.items():
        page = new_page(PHONE)
        if email:
            _sign_in(page, email)
        page.goto("/")
        switch_language(page, language)
        assert page.locator("html").get_attribute("lang").startswith(language[:2])
        # The public sees up to three pages of a kind; a signed-in walker sees one more of each
        # of those (with their own forms on it) and two of each page only they can open.
        per_endpoint = 3 if who == "public" else 2
        already = Counter({e: per_endpoint - 1 for e in public})
        if who == "public":
            start = [*start, f"/results/{demo}/"]
        paths, found = walk(
            page, live_app, [*start, "/"], who, per_endpoint, shot, already, (PHONE, LAPTOP)
        )
        if who == "public":
            public = endpoints_of(live_app, paths)
        visited += len(paths)
        problems += found
        page.set_viewport_size(PHONE)  # the open menu is part of the page too
        page.goto("/")
        open_menu(page)
        problems += [f"{who} / with the menu open: {p}" for p in every_problem_on(page)]
    # The walk must have reached the demo's pages, not stopped at a sign-in wall.
    assert visited >= 90, f"only {visited} pages reached"
    assert not problems, "\n".join(problems)


def test_the_phone_menu_and_the_language_switch_work_without_javascript(
    db_session: Any, browser: Any, live_server: str
) -> None:
    live_vote()  # a charter and a vote: enough for the pages, quicker than the whole demo
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        nav = page.get_by_role("navigation", name="Main")
        assert not nav.get_by_role("link", name="Treasury").is_visible()  # folded away
        page.get_by_text("Menu", exact=True).click()
        nav.get_by_role("link", name="Treasury").click()
        page.get_by_role("heading", level=1, name="Treasury").wait_for()

        # The language switch is in the header, named in the language it switches to.
        page.get_by_role("banner").get_by_role("button", name="中文").click()
        assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
        page.get_by_role("heading", level=1, name="财务").wait_for()
        assert page.url.endswith("/treasury/")
        page.get_by_role("banner").get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
