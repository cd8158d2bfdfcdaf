"""The treasury's ledger and disbursements, the community directory and the administrators'
outbox come a page at a time, keeping their filters and each other's place."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app import mail
from app.communities.models import Community
from app.core.extensions import db
from app.treasury import service
from app.treasury import views as treasury_views
from tests.factories import csrf_from, install_charter, login, make_open_vote, make_owner
from tests.web.test_treasury import (  # noqa: F401 - `trust` is the fixture
    draft_and_approve,
    pass_motion,
    trust,
)


def test_the_ledger_comes_in_pages_newest_first_and_finds_a_transactions_page(
    client: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin")
    txns = [service.record_income(admin, "donations", 100 + n, reference=f"BANK-{n:02d}")
            for n in range(treasury_views.LEDGER_PAGE + 5)]
    db.session.commit()
    first = client.get("/treasury/ledger").get_data(as_text=True)
    assert f'id="txn-{txns[-1].id}"' in first and f'id="txn-{txns[0].id}"' not in first
    assert "Page 1 of 2" in first
    second = client.get("/treasury/ledger?page=2").get_data(as_text=True)
    assert f'id="txn-{txns[0].id}"' in second and f'id="txn-{txns[-1].id}"' not in second
    assert second.count('class="card" id="txn-') == 5
    # A link to one transaction (as from a reversal) opens the page that holds it.
    found = client.get(f"/treasury/ledger?txn={txns[0].id}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/treasury/ledger?page=2#txn-{txns[0].id}")
    assert client.get("/treasury/ledger?txn=no-such-txn").status_code == 404
    assert client.get("/treasury/ledger?page=99").status_code == 200  # past the end: the last


def test_disbursements_come_in_pages_with_their_filter_and_a_total_of_all_that_match(
    trust: dict[str, Any], client: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(treasury_views, "PAGE", 2)
    made = [draft_and_approve(trust, amount=(n + 1) * 1000_00) for n in range(3)]
    assert all(db.session.get(type(d), d.id).state == "recorded" for d in made)
    query = f"purpose=owner_care&budget={trust['budget']}"
    first = client.get(f"/treasury/?{query}").get_data(as_text=True)
    assert re.search(r'id="rows-count">3<', first)
    assert "¥6,000.00" in re.search(r'id="rows-total">([^<]*)<', first).group(1)
    assert first.count(f'/treasury/disbursements/{made[0].id}"') == 0  # the oldest: page 2
    nxt = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "purpose=owner_care" in nxt and f"budget={trust['budget']}" in nxt
    assert nxt.endswith("#disbursements")
    second = client.get(nxt.split("#")[0]).get_data(as_text=True)
    assert f'/treasury/disbursements/{made[0].id}"' in second
    assert f'/treasury/disbursements/{made[2].id}"' not in second
    budget = client.get(f"/treasury/budgets/{trust['budget']}?page=2").get_data(as_text=True)
    assert f'/treasury/disbursements/{made[0].id}"' in budget and "Page 2 of 2" in budget
    # Reversing one takes it out of the total of every page, not only the one shown.
    motion = pass_motion(trust["members"][0], "reverse_transaction", f"txn:{made[0].txn}")
    service.reverse(trust["admin"], made[0].txn, "Entered twice by mistake.", motion_id=motion.id)
    db.session.commit()
    again = client.get(f"/treasury/?{query}").get_data(as_text=True)
    assert "¥5,000.00" in re.search(r'id="rows-total">([^<]*)<', again).group(1)


def test_the_community_directory_pages_its_two_lists_apart(client: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(1000)
    for n in range(55):
        db.session.add(Community(name=f"Club {n:02d}", industry="Touring", description="Rides.",
                                 representative_id=owner.id, applicant_id=owner.id,
                                 member_count=10, state="certified"))
    db.session.commit()
    first = client.get("/communities/").get_data(as_text=True)
    certified = first.split('id="applications"')[0]
    assert "Club 00" in certified and "Club 49" in certified and "Club 50" not in certified
    second = client.get("/communities/?page=2&apage=2").get_data(as_text=True)
    certified, applications = second.split('id="applications"')
    assert "Club 50" in certified and "Club 49" not in certified
    assert applications.count("<li>") == 5  # the second page of applications, newest first
    links = re.findall(r'rel="prev" href="([^"]+)"', second)
    assert links == ["/communities/?apage=2&amp;page=1#certified",
                     "/communities/?page=2&amp;apage=1#applications"]  # each keeps the other


def test_the_outbox_comes_in_pages_of_older_messages(app: Any, db_session: Any) -> None:
    admin = make_owner(0, role="admin")
    mail.hold_many([(f"o{n}@example.test", None, "notification", "en", f"Message {n:03d}",
                     "text", "") for n in range(105)])
    db.session.commit()
    client = app.test_client()
    login(client, admin)
    first = client.get("/admin/outbox").get_data(as_text=True)
    assert "Message 104" in first and "Message 004" not in first
    older = re.search(r'href="(/admin/outbox\?before=\d+)"', first).group(1)
    rest = client.get(older).get_data(as_text=True)
    assert "Message 004" in rest and "Message 104" not in rest
    assert "Older messages" not in rest


def test_a_discussion_comes_a_page_of_threads_at_a_time_and_a_reply_lands_on_its_page(
    app: Any, db_session: Any
) -> None:
    from app.discussion.models import Comment
    from app.discussion.views import THREADS_PAGE

    install_charter()
    council, author, other = make_owner(500, role="council"), make_owner(3000), make_owner(800)
    db.session.commit()
    proposal_id = make_open_vote(author, council)
    roots = [Comment(proposal_id=proposal_id, author_id=author.id, body=f"Thread number {n:02d}")
             for n in range(THREADS_PAGE + 5)]
    db.session.add_all(roots)
    db.session.flush()
    db.session.add(Comment(proposal_id=proposal_id, author_id=other.id, parent_id=roots[-1].id,
                           body="An early reply"))
    db.session.commit()
    client = app.test_client()
    first = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "Thread number 00" in first and f"Thread number {THREADS_PAGE:02d}" not in first
    assert "Page 1 of 2" in first
    second = client.get(f"/proposals/{proposal_id}?cpage=2").get_data(as_text=True)
    assert f"Thread number {THREADS_PAGE:02d}" in second and "Thread number 00" not in second
    assert "An early reply" in second  # replies stay with their thread
    login(client, other)
    page = client.get(f"/proposals/{proposal_id}?cpage=2")
    answer = client.post(f"/discussion/{proposal_id}/comments", data={
        "body": "A reply on the second page", "parent_id": str(roots[-1].id),
        "csrf_token": csrf_from(page)})
    reply = db.session.scalars(select(Comment).where(
        Comment.body == "A reply on the second page")).one()
    assert answer.headers["Location"].endswith(
        f"/proposals/{proposal_id}?cpage=2#comment-{reply.id}")


def test_an_owners_growth_history_comes_in_pages_newest_first(app: Any, db_session: Any) -> None:
    from datetime import timedelta

    from app.core.db_types import utcnow
    from app.growth.models import GrowthEntry
    from app.owner.views import DASHBOARD_PAGE

    install_charter()
    owner = make_owner(0)
    start = utcnow() - timedelta(days=400)
    for n in range(DASHBOARD_PAGE + 3):
        db.session.add(GrowthEntry(owner_id=owner.id, dimension="purchase", points=10 + n,
                                   reason=f"Service visit {n:02d}", source="test",
                                   source_id=f"visit-{n}", occurred_at=start + timedelta(days=n)))
    db.session.commit()
    client = app.test_client()
    login(client, owner)
    first = client.get("/me/").get_data(as_text=True)
    newest = f"Service visit {DASHBOARD_PAGE + 2:02d}"
    assert newest in first and "Service visit 02" not in first
    second = client.get("/me/?gpage=2").get_data(as_text=True)
    assert "Service visit 00" in second and newest not in second
    assert second.index("Service visit 02") < second.index("Service visit 00")  # newest first


def test_an_account_search_with_many_matches_goes_on_to_more(app: Any, db_session: Any) -> None:
    from app.admin.people import PAGE

    admin = make_owner(0, role="admin", name="Admin")
    for n in range(PAGE + 2):
        make_owner(0, name=f"Zhang Wei {n:03d}")
    db.session.commit()
    client = app.test_client()
    login(client, admin)
    first = client.get("/admin/accounts?q=Zhang").get_data(as_text=True)
    assert "Zhang Wei 000" in first and f"Zhang Wei {PAGE + 1:03d}" not in first
    more = re.search(r'href="(/admin/accounts\?q=Zhang&amp;after=\d+)"', first).group(1)
    rest = client.get(more.replace("&amp;", "&")).get_data(as_text=True)
    assert f"Zhang Wei {PAGE + 1:03d}" in rest and "Zhang Wei 000" not in rest
    assert "More accounts" not in rest
