"""Small steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

from typing import Any

from tests.e2e.data import Owner


def sign_in(page: Any, owner: Owner) -> None:
    """Sign in the way a person does: the nav link, the two labelled fields, the button."""
    page.goto("/")
    nav_link(page, "Sign in").click()
    page.get_by_label("Email or phone").fill(owner.email)
    page.get_by_label("Password", exact=True).fill(owner.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name=f"Hello, {owner.name}").wait_for()


def fact(page: Any, term: str) -> str:
    """The text of the <dd> that follows the <dt> named `term` in a facts list."""
    dd = page.locator(f"dl.facts dt:text-is('{term}') + dd")
    return str(dd.inner_text()).strip()


def switch_language(page: Any, locale: str) -> None:
    """The header's language button, found by its value so it works whatever language shows.

    The page offers a button for each language but its own; on a page already in `locale`
    there is nothing to press."""
    button = page.locator(f"form.lang button[value='{locale}']")
    if button.count():
        button.click()
        page.wait_for_load_state()


def nav_link(page: Any, name: str) -> Any:
    """A link of the main navigation, with the phone's menu opened first where there is one."""
    open_menu(page)
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def open_menu(page: Any) -> None:
    """On a narrow screen the navigation sits in a menu: open it (a <details>, no script)."""
    menu = page.locator("details.menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()
