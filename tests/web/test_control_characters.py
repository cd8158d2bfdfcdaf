"""Control and bidirectional-override characters are refused at the field, in every form."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

import app as app_package
from app.accounts.models import User
from app.core.extensions import db
from app.web.forms import TrustForm, forbidden_in
from tests.factories import csrf_from, install_charter


@pytest.mark.parametrize(
    ("text", "multi_line", "refused"),
    [
        ("Plain title 标题", False, None),
        ("ESC \x1b[31m red", False, "\x1b"),
        ("bell \x07", False, "\x07"),
        ("delete \x7f", False, "\x7f"),
        ("invoice\u202egpj.exe", False, "\u202e"),
        ("isolate \u2067x\u2069", True, "\u2067"),
        ("two\nlines", False, "\n"),
        ("two\nlines\tand a tab\r\n", True, None),
        ("escape in prose \x1b", True, "\x1b"),
        ("line separator\u2028", False, "\u2028"),
        ("C1 control \x9b", True, "\x9b"),
    ],
)
def test_what_each_kind_of_field_refuses(text: str, multi_line: bool, refused: str | None) -> None:
    assert forbidden_in(text, multi_line=multi_line) == refused


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_form_in_the_app_derives_from_the_guarded_base() -> None:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    forms = {f for f in _all_subclasses(FlaskForm) if f.__module__.startswith("app.")}
    assert len(forms) >= 20
    unguarded = sorted(f"{f.__module__}.{f.__qualname__}" for f in forms
                       if not issubclass(f, TrustForm))
    assert unguarded == []


@pytest.mark.parametrize("name", ["Li\u202eaN", "Li Na\x1b[2J", "Li\x07Na"])
def test_a_spoofing_name_is_refused_at_the_field_and_creates_nothing(
    client: Any, db_session: Any, name: str
) -> None:
    install_charter()
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(User))
    page = client.get("/register")
    response = client.post("/register", data={
        "display_name": name, "email": "li.na@example.test", "phone": "",
        "external_id": "N123456", "password": "a long pass phrase 2026",
        "confirm": "a long pass phrase 2026", "csrf_token": csrf_from(page),
    })
    assert response.status_code == 200
    assert "may not contain the invisible or control character U+" in response.get_data(
        as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == before
