"""A new user's walk through every page, at phone and desktop widths, with accessibility checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.a11y import active_element, problems_on
from tests.e2e.browse import open_menu, sign_in
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.data import live_vote, sealed_vote


def _check(page: Any, shot: Any, path: str, step: str) -> list[str]:
    """Open `path` (or stay on the current page) and return its accessibility problems."""
    if path:
        response = page.goto(path)
        if response.status != 200:
            shot(page, step)
            return [f"{path}: HTTP {response.status}"]
    shot(page, step)
    return [f"{page.url}: {problem}" for problem in problems_on(page)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_a_new_owner_visits_passes_the_accessibility_checks(
    db_session: Any, new_page: Any, shot: Any, viewport: dict[str, int]
) -> None:
    sealed = sealed_vote()
    vote = live_vote()
    page = new_page(viewport)
    problems: list[str] = []

    public_pages = {
        "home": "/",
        "proposals": "/proposals/",
        "proposal": f"/proposals/{vote.proposal_id}",
        "results": "/results/",
        "result": f"/results/{sealed}/",
        "charter": "/charter",
        "log": "/log",
        "verify": "/verify",
        "sign-in": "/login",
    }
    for step, path in public_pages.items():
        problems += _check(page, shot, path, step)

    sign_in(page, vote.voter)
    problems += _check(page, shot, "", "dashboard")
    problems += _check(page, shot, f"/me/vote/{vote.proposal_id}", "vote")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Cast my vote").click()
    page.get_by_role("heading", level=1, name="Your ballot receipt").wait_for()
    problems += _check(page, shot, "", "receipt")
    problems += _check(page, shot, "/proposals/new", "new-proposal")

    page.goto("/login")
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto("/verify")
    page.get_by_role("button", name="Check", exact=True).click()  # an empty form: the error must be labelled
    problems += _check(page, shot, "", "verify-error")

    assert not problems, "\n".join(problems)


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(
    db_session: Any, page: Any, shot: Any
) -> None:
    sealed = sealed_vote()
    page.goto(f"/results/{sealed}/")

    page.keyboard.press("Tab")
    first = active_element(page)
    shot(page, "skip-link-focused")
    assert first["text"] == "Skip to content"
    assert first["onscreen"] == "true", "the focused skip link must be visible"
    assert first["outline"] != "none", "keyboard focus must be visible"

    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert active_element(page)["id"] == "main"

    # From the main content, the next stop is inside it, not back in the header.
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main
