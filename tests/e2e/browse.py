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
    if _privileged(owner.email):
        pass_second_factor(page)


def _privileged(email: str) -> bool:
    """Council members and administrators; when so, their key is reset so the page enrols anew
    (a code is accepted once per time step, and tests sign people in often)."""
    from sqlalchemy import select

    from app.accounts import twofactor
    from app.accounts.models import User
    from app.core.extensions import db

    user = db.session.scalar(select(User).where(User.email == email))
    privileged = user is not None and twofactor.is_privileged(user)
    if privileged:
        twofactor.begin(user)
        db.session.commit()
    db.session.remove()  # no open transaction while the live server works (SQLite)
    return privileged


def pass_second_factor(page: Any) -> None:
    """Enrol in two-factor sign-in as a person does: key into an authenticator, its code back."""
    import pyotp

    page.goto("/account/two-factor/")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Six-digit code from your authenticator app, or a recovery code").fill(
        pyotp.TOTP(secret).now()
    )
    page.get_by_role("button", name="Continue").click()
    page.locator("#recovery-codes").wait_for()
    page.get_by_role("link", name="Continue").click()


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
