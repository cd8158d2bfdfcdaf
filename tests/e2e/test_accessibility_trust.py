"""The accessibility walk over the council, motions, communities, treasury, admin and API-token
pages, at phone and desktop widths, in English and in Chinese (chosen with the header switch).

The public sees each page first; then a seated council member who is also an administrator
sees the same pages with their forms, and the pages only they may open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.a11y import problems_on
from tests.e2e.browse import sign_in, switch_language
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.trust_data import WalkScene, everything_for_a_walk


def _public_pages(walk: WalkScene) -> dict[str, str]:
    money = walk.treasury
    return {
        "council": "/council/",
        "motions": "/council/motions",
        "motion-open": f"/council/motions/{walk.open_motion}",
        "motion-closed": f"/council/motions/{walk.closed_motion}",
        "communities": "/communities/",
        "community": f"/communities/{walk.community.community_id}",
        "treasury": "/treasury/",
        "ledger": "/treasury/ledger",
        "disbursement": f"/treasury/disbursements/{money.care_id}",
        "budget-vote": f"/treasury/budgets/{money.vote_budget}",
        "budget-emergency": f"/treasury/budgets/{money.emergency_budget}",
    }


MEMBER_PAGES = {
    "queue": "/council/queue",
    "new-motion": "/council/motions/new",
    "stand": "/council/candidates/new",
    "apply": "/communities/apply",
    "new-disbursement": "/treasury/disbursements/new",
    "new-emergency": "/treasury/emergency/new",
    "new-income": "/treasury/income/new",
    "admin": "/admin/",
    "admin-audit": "/admin/audit",
    "admin-keys": "/admin/keys",
    "admin-imports": "/admin/imports",
    "api-tokens": "/me/tokens",
}


def _walk(page: Any, shot: Any, pages: dict[str, str], who: str) -> list[str]:
    problems: list[str] = []
    for step, path in pages.items():
        response = page.goto(path)
        found = [] if response.status == 200 else [f"HTTP {response.status}"]
        found += problems_on(page)
        if found:  # the picture of a failing page is what someone fixing it needs
            shot(page, f"{who}-{step}")
        problems += [f"{who} {path}: {problem}" for problem in found]
    return problems


@pytest.mark.parametrize("language", ["en", "zh_Hans_CN"], ids=["english", "chinese"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_council_treasury_admin_and_token_pages_pass_the_accessibility_checks(
    db_session: Any, new_page: Any, shot: Any, viewport: dict[str, int], language: str
) -> None:
    walk = everything_for_a_walk()
    pages = _public_pages(walk)

    public = new_page(viewport)
    public.goto("/council/")
    switch_language(public, language)
    problems = _walk(public, shot, pages, "public")

    member = new_page(viewport)
    sign_in(member, walk.walker)
    switch_language(member, language)
    assert member.locator("html").get_attribute("lang").startswith(language[:2])
    problems += _walk(member, shot, {**pages, **MEMBER_PAGES}, "member")
    shot(member, "member-last-page")

    assert not problems, "\n".join(problems)
