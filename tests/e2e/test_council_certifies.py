"""A council member certifies an owners' community in the browser; a member of the community
is recused and cannot vote; the public finds it certified and proves its log entry."""

from __future__ import annotations

from typing import Any

from ballots.canonical import canonical_bytes
from ballots.merkle import leaf_hash, verify_inclusion
from tests.e2e.browse import sign_in
from tests.e2e.trust_data import community_under_review


def _open_from_queue(page: Any, link: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    page.get_by_role("main").get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", level=1).wait_for()


def _vote_for(page: Any, motion_url: str) -> None:
    page.goto(motion_url)
    page.get_by_label("Your vote").select_option("for")
    page.get_by_role("button", name="Cast my vote").click()
    page.get_by_text("Your vote is recorded.").wait_for()


def test_a_council_member_certifies_a_community_while_a_member_of_it_is_recused(
    db_session: Any, new_page: Any, shot: Any
) -> None:
    scene = community_under_review()

    # Ana finds the application in her review queue and opens the certify motion.
    ana = new_page()
    sign_in(ana, scene.opener)
    _open_from_queue(ana, scene.name)
    shot(ana, "application-under-review")
    ana.get_by_label("Motion to").select_option("certify")
    ana.get_by_role("button", name="Open the motion").click()
    ana.get_by_text("Motion opened; members of the community are recused.").wait_for()
    motion_url = ana.url
    assert "/council/motions/" in motion_url
    recusals = ana.get_by_role("heading", name="Recusals").locator("xpath=following-sibling::ul[1]")
    assert scene.recused.name in recusals.inner_text()
    shot(ana, "motion-opened")
    _vote_for(ana, motion_url)

    # Chen co-signed the application: the page says he is recused and offers him no vote,
    # and a vote sent anyway (with his valid CSRF token) is refused, quoting the charter.
    chen = new_page()
    sign_in(chen, scene.recused)
    _open_from_queue(chen, f"Certify a community — {scene.name}")
    assert chen.url == motion_url
    chen.get_by_text("You are recused from this motion.").wait_for()
    assert chen.get_by_role("button", name="Cast my vote").count() == 0
    assert chen.get_by_label("Your vote").count() == 0
    shot(chen, "recused-member")
    token = chen.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = chen.request.post(f"{motion_url}/vote", form={"csrf_token": token, "choice": "for"})
    assert refused.ok
    assert "Art. 15.3" in refused.text()
    chen.goto(motion_url)
    assert "So far: 1 for" in chen.get_by_role("region", name="Council members").inner_text()

    # Bo votes for; Ana closes and counts.
    bo = new_page()
    sign_in(bo, scene.second)
    _vote_for(bo, motion_url)
    ana.goto(motion_url)
    ana.get_by_role("button", name="Close and count the motion").click()
    ana.get_by_text("The motion passed.").wait_for()
    shot(ana, "motion-passed")
    votes = ana.get_by_role("heading", name="Votes").locator("xpath=following-sibling::ul[1]")
    assert scene.recused.name not in votes.inner_text()
    assert votes.get_by_role("listitem").count() == 2

    # The public: the directory lists it as certified, and its log entry proves out.
    public = new_page()
    public.goto("/")
    public.get_by_role("navigation", name="Main").get_by_role("link", name="Communities").click()
    certified = public.get_by_role("heading", name="Certified", exact=True)
    table = certified.locator("xpath=following-sibling::div[1]//table")
    assert table.get_by_role("row", name=scene.name).count() == 1
    shot(public, "directory")

    public.get_by_role("navigation", name="Main").get_by_role("link", name="Log").click()
    row = public.get_by_role("row").filter(has_text="community certified")
    assert row.count() == 1
    # The subject in words, linked to the community's page, not its stored tag.
    assert scene.name in row.inner_text()
    assert f"community:{scene.community_id}" not in row.inner_text()
    assert row.get_by_role("link", name=scene.name).count() == 1
    index = int(row.get_by_role("cell").first.inner_text())
    shot(public, "log")
    row.get_by_role("link", name="inclusion").click()  # the record's page, with its proof
    public.get_by_role("heading", name="Proof that it is in the log").wait_for()
    shot(public, "inclusion-proof")
    href = public.get_by_role("link", name="The inclusion proof as JSON").get_attribute("href")
    proof = public.request.get(href).json()
    assert proof["index"] == index and proof["path"]

    # Checked as an outside verifier would: the leaf, hashed, climbs the path to the signed root.
    entry = public.request.get(f"/log/entries?start={index}&end={index + 1}").json()[0]
    checkpoint = public.request.get("/log/checkpoint").json()
    assert checkpoint["size"] == proof["size"]
    assert verify_inclusion(leaf_hash(canonical_bytes(entry)), index, proof["size"],
                            [bytes.fromhex(h) for h in proof["path"]],
                            bytes.fromhex(checkpoint["root"]))
