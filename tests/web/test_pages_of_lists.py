"""Long lists come in pages; the log opens on its newest page."""

from __future__ import annotations

from typing import Any

from app.core.extensions import db
from app.council import service as council
from app.translog import service as translog
from tests.factories import install_charter, make_owner, seat_member


def test_motions_come_in_pages_newest_first(client: Any, db_session: Any) -> None:
    install_charter()
    chair = make_owner(500, role="council")
    seat_member(chair)
    for n in range(55):
        council.open_motion(chair, "general", f"general:{n}", f"Motion number {n:02d}")
    db.session.commit()
    first = client.get("/council/motions").get_data(as_text=True)
    assert "Motion number 54" in first and "Motion number 04" not in first
    assert "Page 1 of 2" in first
    second = client.get("/council/motions?page=2").get_data(as_text=True)
    assert "Motion number 04" in second and "Motion number 54" not in second
    assert client.get("/council/motions?page=abc").status_code == 200  # a bad page is page 1


def test_the_log_opens_on_its_newest_page(client: Any, db_session: Any) -> None:
    install_charter()
    for n in range(120):
        translog.append("test.entry", f"entry:{n}", {"type": "test.entry", "n": n})
    db.session.commit()
    size = translog.size()
    page = client.get("/log").get_data(as_text=True)
    assert f'id="leaf-{size - 1}"' in page and 'id="leaf-0"' not in page
