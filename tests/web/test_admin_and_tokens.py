"""Administrators' pages and owners' API tokens."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import ApiToken
from app.core.extensions import db
from app.growth.models import GrowthEntry
from app.keys.models import SigningKeyRecord
from tests.factories import csrf_from, install_charter, login, make_owner


def test_only_administrators_reach_the_admin_pages(client: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(100)
    admin = make_owner(0, role="admin")
    db.session.commit()
    for path in ("/admin/", "/admin/audit", "/admin/keys", "/admin/imports"):
        assert client.get(path).status_code == 302
    login(client, owner)
    for path in ("/admin/", "/admin/audit", "/admin/keys", "/admin/imports"):
        assert client.get(path).status_code == 403, path
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me/"))})
    login(client, admin)
    for path in ("/admin/", "/admin/audit", "/admin/keys", "/admin/imports"):
        assert client.get(path).status_code == 200, path


def test_an_administrator_rotates_the_key_and_both_stay_published(
    client: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin")
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/keys")
    refused = client.post("/admin/keys", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 200  # the confirmation box was not ticked
    assert db.session.scalar(select(func.count()).select_from(SigningKeyRecord)) == 1
    done = client.post("/admin/keys", data={"csrf_token": csrf_from(page), "confirm": "y"})
    assert done.status_code == 302
    published = client.get("/.well-known/trust-keys.json").get_json()["keys"]
    assert len(published) == 2
    assert sum(1 for k in published if k["valid_until"] is None) == 1
    trail = client.get("/admin/audit?action=keys.").data.decode()
    assert "keys.retired" in trail and "keys.created" in trail


def test_a_bad_import_file_on_the_admin_page_lists_problems_and_writes_nothing(
    client: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin")
    make_owner(0)
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(GrowthEntry))
    login(client, admin)
    page = client.get("/admin/imports")
    body = (
        "owner,dimension,points,reason,source_id,occurred_at\n"
        "NOBODY,purchase,100,Car,r1,2026-01-01T00:00:00Z\n"
        "NOBODY,flying,abc,Car,r2,2026-01-01T00:00:00Z\n"
    )
    response = client.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_from(page),
            "source": "brand-crm",
            "file": (io.BytesIO(body.encode()), "entries.csv"),
        },
        content_type="multipart/form-data",
    )
    assert b"nothing was written" in response.data
    assert response.data.count(b"<tr><td data-label=\"Row\" class=\"num\">") >= 3
    assert db.session.scalar(select(func.count()).select_from(GrowthEntry)) == before


def test_an_owner_creates_uses_and_revokes_an_api_token(client: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(100)
    db.session.commit()
    login(client, owner)
    page = client.get("/me/tokens")
    created = client.post(
        "/me/tokens",
        data={"csrf_token": csrf_from(page), "new-name": "my phone", "new-submit": "1"},
    )
    token = re.search(rb"<pre>(ot_[A-Za-z0-9_-]+)</pre>", created.data).group(1).decode()
    stored = db.session.scalar(select(ApiToken))
    assert stored is not None and token not in stored.token_sha256  # only the hash is kept
    other = client.application.test_client()
    assert other.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client.post(
        "/me/tokens",
        data={
            "csrf_token": csrf_from(page),
            "revoke-token_id": str(stored.id),
            "revoke-submit": "1",
        },
    )
    assert other.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
