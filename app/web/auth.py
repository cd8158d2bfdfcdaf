"""Role checks for views: every view states who may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.acting_role not in roles:
                abort(403, description=_unbacked_words() if current_user.role in roles else None)
            privileged = "owner" not in roles  # owner pages are no act of office
            if privileged and not _second_factor_passed():
                return _to_second_factor()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


owner_required = role_required("owner", "council", "admin")
admin_required = role_required("admin")


def council_required(view: F) -> F:
    """Seated council members (by their term, not a stored flag) and admins."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from app.council.service import is_seated

        if not (current_user.is_admin or is_seated(current_user)):
            abort(403, description=_unbacked_words() if _holds_unbacked_power() else None)
        if not _second_factor_passed():
            return _to_second_factor()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _holds_unbacked_power() -> bool:
    from app.council.service import unbacked_seat

    return current_user.role == "admin" or unbacked_seat(current_user)


def _unbacked_words() -> str:
    return gettext(
        "Your seat or role is not recorded in the trust's public log, so it grants no powers "
        "here. The refusal has been recorded for the auditors."
    )


def _second_factor_passed() -> bool:
    from app.accounts.sessions import second_factor_passed

    return second_factor_passed(current_user)


def _to_second_factor() -> Any:
    """Council and administrators act only after two-factor sign-in in this session."""
    return redirect(url_for("twofactor.page", next=request.full_path.rstrip("?")))
