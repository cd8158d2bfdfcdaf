"""A proposal as the `ballots` core sees it."""

from __future__ import annotations

import json

from app.proposals.models import Proposal
from ballots.records import format_time
from ballots.tally import VoteSpec
from ballots.weights import parse_weight_rule


def options_of(proposal: Proposal) -> list[dict[str, str]]:
    options: list[dict[str, str]] = json.loads(proposal.options_json)
    return options


def vote_spec(proposal: Proposal) -> VoteSpec:
    if proposal.opens_at is None or proposal.closes_at is None:
        raise ValueError(f"proposal {proposal.id} has no voting window yet")
    rule = parse_weight_rule(proposal.weight_rule, minimum=proposal.eligibility_min)
    return VoteSpec(
        id=proposal.id,
        title=proposal.title,
        method=proposal.method,
        options=tuple((o["id"], o["label"]) for o in options_of(proposal)),
        opens_at=format_time(proposal.opens_at),
        closes_at=format_time(proposal.closes_at),
        weight_rule=rule.spec,
        quorum=(proposal.quorum_num, proposal.quorum_den),
        threshold=(proposal.threshold_num, proposal.threshold_den),
        seats=proposal.seats,
    )
