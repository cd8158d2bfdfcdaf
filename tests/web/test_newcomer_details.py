"""Details a newcomer trips over, each as a reader meets it: a receipt that leads back to its
vote and says when it was replaced; co-signing that shows who signed and how far it has come;
a council queue that lists the disbursements awaiting approval; no button that would only
refuse (the submitter's Approve, a recused member's "your vote is awaited")."""

from __future__ import annotations

from typing import Any

from app.core.extensions import db
from app.council import service as council
from app.proposals import service as proposals
from app.treasury import service as treasury
from tests.factories import csrf_from, install_charter, login, make_open_vote, make_owner
from tests.web import test_treasury as money

trust = money.trust  # the fixture: a charter, four seated members, cash and a budget


def _vote(client: Any, proposal_id: str, choice: str) -> Any:
    page = client.get(f"/me/vote/{proposal_id}")
    return client.post(
        f"/me/vote/{proposal_id}", data={"choice": choice, "csrf_token": csrf_from(page)}
    )


def test_a_receipt_leads_back_to_its_vote_and_a_replaced_one_says_so(
    db_session: Any, client: Any
) -> None:
    install_charter()
    chair = make_owner(500, role="council")
    owner = make_owner(2500)
    db.session.commit()
    proposal_id = make_open_vote(owner, chair, title="Roadside help for owners")
    login(client, owner)
    first = _vote(client, proposal_id, "yes").headers["Location"]
    second = _vote(client, proposal_id, "no").headers["Location"]

    current = client.get(second).get_data(as_text=True)
    assert f'href="/proposals/{proposal_id}"' in current  # the vote it belongs to
    assert f'href="/me/vote/{proposal_id}"' in current and "Back to the vote" in current
    assert "this is your ballot that counts" in current
    assert "it does not count" not in current

    replaced = client.get(first).get_data(as_text=True)
    assert "This ballot was replaced by a later one: it does not count." in replaced
    assert f'href="{second}"' in replaced  # to the receipt that counts


def test_co_signing_shows_the_co_signers_and_the_progress_and_the_button_goes(
    db_session: Any, client: Any
) -> None:
    install_charter()  # a general proposal needs 50 co-signatures
    author = make_owner(100, name="Author Ma")
    signer = make_owner(100, name="Signer Hu")
    draft = proposals.create_draft(
        author,
        proposals.Draft(
            kind="general",
            title="Plant trees by the roads",
            body="A proposal body long enough to be accepted by the rules.",
            fields={},
            options=[],
        ),
    )
    proposals.submit(draft, author)
    db.session.commit()

    login(client, signer)
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "0 of the 50 needed" in page and "No co-signature yet." in page
    response = client.post(
        f"/proposals/{draft.id}/cosign", data={"csrf_token": csrf_from(client.get("/me/"))}
    )
    assert response.status_code == 302
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "1 of the 50 needed" in page and "Signer Hu" in page
    assert "You co-signed this proposal." in page
    assert f'action="/proposals/{draft.id}/cosign"' not in page  # the button is gone


def test_the_queue_lists_disbursements_and_shows_no_button_that_would_refuse(
    trust: dict[str, Any], client: Any
) -> None:
    submitter, other = trust["members"][0], trust["members"][1]
    d = treasury.draft(
        submitter, trust["budget"], 100_00, "owner_care", "Families of 3 owners", "Bills."
    )
    motion = council.open_motion(other, "general", "member:1", "A motion", "Agreed.")
    if submitter.id not in council.recusals_of(motion):  # a motion about them recuses them
        council.recuse(motion, submitter, "I am the subject's relative.")
    db.session.commit()

    mine = money.switch_user(client, submitter)
    queue = mine.get("/council/queue").get_data(as_text=True)
    assert "Disbursements awaiting approval" in queue and "Families of 3 owners" in queue
    assert "You submitted this request: other seated members approve it." in queue
    assert "you are recused" in queue and "your vote is awaited" not in queue
    page = mine.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert f'action="/treasury/disbursements/{d.id}/approve"' not in page
    assert "You submitted this request" in page

    theirs = money.switch_user(client, other)
    assert "your approval is awaited" in theirs.get("/council/queue").get_data(as_text=True)
    page = theirs.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert f'action="/treasury/disbursements/{d.id}/approve"' in page
    theirs.post(
        f"/treasury/disbursements/{d.id}/approve",
        data={"csrf_token": csrf_from(theirs.get(f"/treasury/disbursements/{d.id}"))},
    )
    page = theirs.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert "You have approved it." in page
    assert f'action="/treasury/disbursements/{d.id}/approve"' not in page


def test_the_result_address_of_an_open_vote_says_it_is_open_and_until_when(
    db_session: Any, client: Any
) -> None:
    install_charter()
    chair = make_owner(500, role="council")
    owner = make_owner(2500)
    db.session.commit()
    proposal_id = make_open_vote(owner, chair, title="Roadside help for owners")
    closes = proposals.get(proposal_id).closes_at
    response = client.get(f"/results/{proposal_id}/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This vote is open." in page and str(closes.year) in page and "UTC" in page
    assert client.get("/results/no-such-vote/").status_code == 404


def test_weight_rules_read_as_words(app: Any) -> None:
    from app.web.templating import weight_rule_words

    with app.test_request_context():
        assert weight_rule_words("sqrt;min=100") == (
            "the square root of the growth value, rounded down"
            " (owners with at least 100 points of growth value)"
        )
        assert weight_rule_words("capped:5000") == (
            "one vote per point of growth value, at most 5,000"
        )
        assert weight_rule_words("equal") == "one vote per owner, whatever their growth value"
        assert weight_rule_words("linear", 10).endswith("at least 10 points of growth value)")
        assert weight_rule_words("no-such-rule") == "no-such-rule"


def test_the_audit_trail_names_its_actors_and_says_its_details_in_words(
    trust: dict[str, Any], client: Any
) -> None:
    admin = money.switch_user(client, trust["admin"])
    page = admin.get("/admin/audit?action=treasury.income").get_data(as_text=True)
    assert 'data-label="Actor">Admin</td>' in page  # the actor by name, not by row id
    assert "Amount: ¥5,000,000.00" in page and "Reference: BANK-1" in page
    assert "amount_fen=" not in page
    assert 'data-label="Actor">Admin</td>' in admin.get("/admin/").get_data(as_text=True)


def test_the_charter_shows_its_rules_as_tables_and_the_json_one_link_away(
    db_session: Any, client: Any
) -> None:
    import json

    from app.charter import service as charter

    install_charter()
    db.session.commit()
    page = client.get("/charter").get_data(as_text=True)
    assert "Rules in force" in page and "Each kind of vote" in page
    assert "1/10 (10%)" in page and "Art. 11.1" in page and "¥5,000,000.00" in page
    assert "&#34;voting&#34;" not in page and "&quot;voting&quot;" not in page  # no raw JSON
    assert 'href="/charter/rules.json?version=1"' in page
    rules = client.get("/charter/rules.json?version=1")
    assert rules.mimetype == "application/json"
    assert json.loads(rules.data) == json.loads(charter.current().rules_json)
    assert client.get("/charter/rules.json?version=99").status_code == 404


def test_a_log_record_and_its_proof_read_as_a_page(db_session: Any, client: Any) -> None:
    install_charter()  # the charter's adoption is the log's first record
    db.session.commit()
    log = client.get("/log").get_data(as_text=True)
    assert 'href="/log/0/"' in log
    page = client.get("/log/0/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Log record #0" in text
    assert "What it records" in text and "Proof that it is in the log" in text
    assert 'href="/log/record/0"' in text and 'href="/log/proof/inclusion?index=0&amp;size=' in text
    assert client.get("/log/999/").status_code == 404


def test_a_community_offers_only_the_decisions_its_state_allows(app: Any) -> None:
    from app.communities.views import _decision_form

    with app.test_request_context():
        offered = {
            state: [code for code, _label in _decision_form(state).action.choices]
            for state in ("under_review", "certified", "renewal_due")
        }
    assert offered == {
        "under_review": ["certify", "reject"],
        "certified": ["revoke"],  # no "renew" before the renewal window, no second "certify"
        "renewal_due": ["renew", "revoke"],
    }
