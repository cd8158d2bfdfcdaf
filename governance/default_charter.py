"""The first charter the demo installs: believable numbers, bilingual purpose names.

Modelled on the NIO User Trust: votes weighted by growth value, charter amendments by three
fifths of the participating weight, an elected council that may act alone in an emergency
within a cap (the real trust's first act was RMB 5 M of COVID relief) and must then have the
owners ratify it.
"""

from __future__ import annotations

from typing import Any

from governance.default_charter_zh import ARTICLES_ZH

ARTICLES = {
    "Art. 5.1": "Trust funds may be spent on public welfare: causes beyond the owner community.",
    "Art. 5.2": "Trust funds may be spent on owner care: help for owners and their families "
    "in hardship.",
    "Art. 5.3": "Trust funds may be spent on connecting owners: events, communities and "
    "shared projects.",
    "Art. 10.1": "Each owner votes with their growth value as recorded when the vote opens: "
    "one point is one vote, frozen while the vote runs, unless this charter sets another rule "
    "for a kind of vote.",
    "Art. 10.2": "An owner whose growth value is below the minimum is not on the roll.",
    "Art. 10.3": "A vote stays open for at least 72 hours and at most 14 days.",
    "Art. 10.4": "Owners' votes are secret: each ballot is encrypted on the voter's device. "
    "The council members seated when a vote opens are its trustees and hold its key in "
    "shares; any half of them together decrypt only the total, within 72 hours of the close.",
    "Art. 11.1": "A general proposal reaches the ballot with 50 co-signing owners; it passes "
    "with a majority of the weight voting for or against, if a tenth of the roll's weight "
    "takes part.",
    "Art. 11.2": "A spending proposal reaches the ballot when the council accepts it; it "
    "passes with a majority of the weight voting for or against, if a tenth of the roll's "
    "weight takes part.",
    "Art. 11.3": "An amendment to this charter reaches the ballot with 100 co-signing owners; "
    "it passes with three fifths of the participating weight, if a fifth of the roll's weight "
    "takes part.",
    "Art. 11.4": "A community certification scheme reaches the ballot when the council "
    "accepts it and is adopted by a majority of the weight voting for or against.",
    "Art. 11.5": "Council members are elected by approval vote, one vote per owner; a called "
    "election reaches the ballot with 20 co-signing owners. A candidate stands only when "
    "nominated by 20 owners on the roll other than the candidate, each giving the nomination in "
    "their own account within 30 days of the candidacy; until then the candidacy is pending.",
    "Art. 11.6": "An owner poll between several options reaches the ballot when the council "
    "accepts it; the option with the most weight wins, if a tenth of the roll's weight takes "
    "part.",
    "Art. 11.7": "The owners may call a council election: the proposal reaches the ballot with "
    "50 co-signing owners and passes with a majority of the weight voting for or against, if a "
    "tenth of the roll's weight takes part; the election is then called as if by the council.",
    "Art. 11.8": "The owners may recall a seated council member: the proposal names the seat, "
    "reaches the ballot with 100 co-signing owners and passes with a majority of the weight "
    "voting for or against, if a fifth of the roll's weight takes part; the member's term then "
    "ends and the seat is vacant.",
    "Art. 14.1": "The council has a chair, an asset-management committee of three, a proceeds "
    "committee of three, two supervisors and a protector.",
    "Art. 14.2": "A council term lasts 365 days from the day the member is seated.",
    "Art. 14.3": "No one may serve more than two consecutive terms in the same role.",
    "Art. 15.1": "A council motion needs two thirds of the seated members who are not recused "
    "to vote, abstentions included.",
    "Art. 15.2": "A motion passes with more than half of the members voting for or against.",
    "Art. 15.3": "A member with an interest in the subject of a motion is recused and does "
    "not vote on it.",
    "Art. 15.4": "Only seated council members vote on council motions.",
    "Art. 15.5": "A motion is open for voting at least 24 hours and at most 7 days from its "
    "opening; it closes at its deadline, or earlier once every member able to vote has voted or "
    "the outcome can no longer change. Administrators run the trust's operations and take no "
    "part in council decisions.",
    "Art. 15.6": "If recusals leave fewer members able to vote than the quorum of the seated "
    "council, the council does not decide the motion and its question is put to the owners' vote.",
    "Art. 15.7": "Each member keeps a public register of their interests; interests the trust's "
    "records show (a place on a community's verified roster, being a disbursement's beneficiary) "
    "count as declared. Nobody recuses another member by naming them.",
    "Art. 21.1": "A disbursement may not exceed the remaining amount of the budget it draws on.",
    "Art. 21.2": "A disbursement must be for a purpose of Article 5 that its budget allows.",
    "Art. 21.3": "Every disbursement names its beneficiary.",
    "Art. 21.4": "Every disbursement states what the money is for.",
    "Art. 21.5": "A disbursement is a positive amount in fen and may not exceed the cash the "
    "trust holds.",
    "Art. 22.1": "A disbursement is made only when two members of the proceeds committee have "
    "approved it.",
    "Art. 22.2": "No one approves a disbursement they submitted.",
    "Art. 22.3": "A member who is the disbursement's beneficiary, or who has declared or is shown "
    "to have an interest in it or its budget, does not approve it. If that leaves the proceeds "
    "committee fewer members able to approve than Art. 22.1 requires, the other seated members "
    "who have no such interest and are not supervisors may approve in their place.",
    "Art. 22.4": "The supervisors oversee spending and never approve a disbursement. A supervisor "
    "may suspend a pending disbursement; it then stays suspended until a council motion lifts "
    "the suspension.",
    "Art. 23.1": "In an emergency the council may, by motion alone, spend up to RMB 5,000,000 "
    "per motion.",
    "Art. 23.2": "Emergency spending may not exceed RMB 10,000,000 in one calendar year.",
    "Art. 23.3": "Emergency spending must be put to the owners for ratification within 90 days; "
    "the council puts it on the ballot and the owners ratify it by a majority of the weight "
    "voting for or against, if a tenth of the roll's weight takes part. A council motion does "
    "not ratify.",
    "Art. 23.4": "While emergency spending is overdue for ratification, what is left of its "
    "budget is frozen and no new emergency spending may be decided until the owners ratify it.",
    "Art. 30.1": "Owners' industry communities may apply for certification only under a "
    "certification scheme adopted by the owners.",
    "Art. 30.2": "An application names the community, its industry, what it does and its "
    "representative, and lists its supporting documents.",
    "Art. 30.3": "A community must have at least 30 member owners to apply.",
    "Art. 30.4": "An application is co-signed by at least 10 member owners, each giving their "
    "co-signature in their own account within 30 days of the application; co-signatures not "
    "given by then do not count.",
    "Art. 31.1": "A certification is valid for 365 days.",
    "Art. 31.2": "A certified community may apply for renewal in the 60 days before its "
    "certification ends; without renewal it lapses.",
    "Art. 31.3": "The council may revoke a certification by motion, stating its reasons.",
    "Art. 40.1": "This charter is amended only by a charter amendment vote of the owners.",
    "Art. 40.2": "Each adopted version of this charter is numbered one higher than the last.",
}

CITATIONS = {
    "voting.weight_rule": "Art. 10.1",
    "voting.eligibility": "Art. 10.2",
    "voting.period": "Art. 10.3",
    "council.seats": "Art. 14.1",
    "council.term": "Art. 14.2",
    "council.term_limit": "Art. 14.3",
    "council.nominations": "Art. 11.5",
    "council.motion_quorum": "Art. 15.1",
    "council.motion_majority": "Art. 15.2",
    "council.recusal": "Art. 15.3",
    "council.members_only": "Art. 15.4",
    "council.motion_window": "Art. 15.5",
    "council.recusal_fallback": "Art. 15.6",
    "council.interests": "Art. 15.7",
    "spending.amount": "Art. 21.5",
    "spending.budget": "Art. 21.1",
    "spending.category": "Art. 21.2",
    "spending.beneficiary": "Art. 21.3",
    "spending.purpose": "Art. 21.4",
    "spending.cash": "Art. 21.5",
    "spending.approvals": "Art. 22.1",
    "spending.self_approval": "Art. 22.2",
    "spending.committee": "Art. 22.1",
    "spending.recusal": "Art. 22.3",
    "spending.supervision": "Art. 22.4",
    "spending.emergency_cap": "Art. 23.1",
    "spending.emergency_year_cap": "Art. 23.2",
    "spending.ratification": "Art. 23.3",
    "spending.ratification_overdue": "Art. 23.4",
    "communities.scheme": "Art. 30.1",
    "communities.application": "Art. 30.2",
    "communities.min_members": "Art. 30.3",
    "communities.min_cosigners": "Art. 30.4",
    "communities.validity": "Art. 31.1",
    "communities.renewal": "Art. 31.2",
    "communities.revocation": "Art. 31.3",
    "charter.amendment": "Art. 40.1",
    "charter.versions": "Art. 40.2",
}


def default_rules() -> dict[str, Any]:
    """A fresh copy of the first charter's rules JSON (valid under ``parse_rules``)."""
    return {
        "articles": dict(ARTICLES),
        "articles_zh": dict(ARTICLES_ZH),
        "citations": dict(CITATIONS),
        "purposes": [
            {
                "id": "public_welfare",
                "name_en": "Public welfare",
                "name_zh": "社会公益",
                "article": "Art. 5.1",
            },
            {
                "id": "owner_care",
                "name_en": "Owner care",
                "name_zh": "用户关怀",
                "article": "Art. 5.2",
            },
            {
                "id": "connecting_owners",
                "name_en": "Connecting owners",
                "name_zh": "用户连接",
                "article": "Art. 5.3",
            },
        ],
        "voting": {
            "weight_rule": "linear",
            "eligibility_min": 1,
            "min_hours": 72,
            "max_hours": 336,
            "kinds": {
                "general": _kind("yes_no", [1, 10], [1, 2], 50, "Art. 11.1"),
                "spending": _kind("yes_no", [1, 10], [1, 2], 0, "Art. 11.2"),
                "charter_amendment": _kind("yes_no", [1, 5], [3, 5], 100, "Art. 11.3"),
                "community_scheme": _kind("yes_no", [1, 10], [1, 2], 0, "Art. 11.4"),
                "poll": _kind("choice", [1, 10], [0, 1], 0, "Art. 11.6"),
                "council_referral": _kind("yes_no", [1, 10], [1, 2], 0, "Art. 15.6"),
                "emergency_ratification": _kind("yes_no", [1, 10], [1, 2], 0, "Art. 23.3"),
                "call_election": _kind("yes_no", [1, 10], [1, 2], 50, "Art. 11.7"),
                "recall_member": _kind("yes_no", [1, 5], [1, 2], 100, "Art. 11.8"),
                "council_election": {
                    **_kind("approval", [1, 10], [0, 1], 20, "Art. 11.5"),
                    "weight_rule": "equal",
                },
            },
        },
        "council": {
            "seats": {
                "chair": 1,
                "asset_committee": 3,
                "proceeds_committee": 3,
                "supervisors": 2,
                "protector": 1,
            },
            "term_days": 365,
            "term_limit": 2,
            "motion_quorum": [2, 3],
            "motion_majority": [1, 2],
            "motion_min_hours": 24,
            "motion_max_hours": 168,
            "recusal_fallback": "owners_vote",
            "nominations_required": 20,
            "nomination_days": 30,
        },
        "spending": {
            "approvals_required": 2,
            "approving_role": "proceeds_committee",
            "supervising_role": "supervisors",
            "emergency_cap_fen": 500_000_000,
            "emergency_year_cap_fen": 1_000_000_000,
            "ratification_days": 90,
            "beneficiary_required": True,
        },
        "communities": {
            "valid_days": 365,
            "renewal_window_days": 60,
            "min_members": 30,
            "min_cosigners": 10,
            "cosign_days": 30,
        },
    }


def _kind(
    method: str, quorum: list[int], threshold: list[int], cosign: int, article: str
) -> dict[str, Any]:
    return {
        "method": method,
        "quorum": quorum,
        "threshold": threshold,
        "cosign_required": cosign,
        "article": article,
        # Art. 10.4: owners' votes are secret (ballots encrypted, the council holds the key).
        "secrecy": "secret",
    }


def default_text() -> str:
    """The first charter's text: its articles, in order, one per paragraph."""
    order = sorted(ARTICLES, key=lambda ref: tuple(int(p) for p in ref[5:].split(".")))
    return "\n\n".join(f"{ref} {ARTICLES[ref]}" for ref in order) + "\n"
