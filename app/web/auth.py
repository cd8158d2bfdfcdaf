"""Role checks for views: every view states who may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
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

        if not (current_user.role == "admin" or is_seated(current_user)):
            abort(403)
        if not _second_factor_passed():
            return _to_second_factor()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _second_factor_passed() -> bool:
    from app.accounts.sessions import second_factor_passed

    return second_factor_passed(current_user)


def _to_second_factor() -> Any:
    """Council and administrators act only after two-factor sign-in in this session."""
    return redirect(url_for("twofactor.page", next=request.full_path.rstrip("?")))
