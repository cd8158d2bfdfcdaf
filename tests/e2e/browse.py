"""Small steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

from typing import Any

from tests.e2e.data import Owner


def sign_in(page: Any, owner: Owner) -> None:
    """Sign in the way a person does: the nav link, the two labelled fields, the button."""
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email or phone").fill(owner.email)
    page.get_by_label("Password", exact=True).fill(owner.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name=f"Hello, {owner.name}").wait_for()


def fact(page: Any, term: str) -> str:
    """The text of the <dd> that follows the <dt> named `term` in a facts list."""
    dd = page.locator(f"dl.facts dt:text-is('{term}') + dd")
    return str(dd.inner_text()).strip()


def switch_language(page: Any, locale: str) -> None:
    """The footer's language form, found by id so it works whatever language is showing."""
    page.locator("#lang-select").select_option(value=locale)
    page.locator("footer form:has(#lang-select)").get_by_role("button").click()
    page.wait_for_load_state()
