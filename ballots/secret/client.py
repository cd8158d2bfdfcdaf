"""Encrypting a selection for API users (and the audit of a ballot before casting it).

    python -m ballots.secret.client PROPOSAL.json ELECTION.json TOKEN OPTION [OPTION ...]
        [--audit]

PROPOSAL.json is the vote's ``proposal`` object, ELECTION.json the published election
document. Prints the cast object to submit (and its tracker) as JSON; with ``--audit`` it
prints the Benaloh audit record instead: that ballot is then spoiled and must not be cast.
The election document is checked (every trustee proof, the key) before anything is encrypted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ballots.canonical import CanonicalError, strict_loads
from ballots.secret.ballot import EncryptedBallot, audit_ballot, encrypt_ballot
from ballots.secret.group import Rng
from ballots.secret.trustees import TrusteeError, verify_election
from ballots.tally import SelectionError, SpecError, VoteSpec


class ClientError(ValueError):
    pass


def prepare_ballot(
    proposal: Mapping[str, Any],
    election_doc: Mapping[str, Any],
    token: str,
    selection: Sequence[str],
    rng: Rng | None = None,
) -> EncryptedBallot:
    """Check the election, then encrypt ``selection``; submit ``.cast``, keep ``.tracker``."""
    try:
        spec = VoteSpec.from_json(dict(proposal))
        election = verify_election(dict(election_doc), spec.id)
        return encrypt_ballot(spec, election.key, token, selection, rng)
    except (SpecError, TrusteeError, SelectionError, ValueError) as exc:
        raise ClientError(str(exc)) from None


def check_audit(
    proposal: Mapping[str, Any], election_doc: Mapping[str, Any], record: Any
) -> tuple[str, ...]:
    """Anyone's check of an audit record: the selection the spoiled ballot encrypted."""
    spec = VoteSpec.from_json(dict(proposal))
    election = verify_election(dict(election_doc), spec.id)
    return audit_ballot(spec, election.key, record)


def _load(path: str) -> Any:
    try:
        return strict_loads(Path(path).read_bytes())
    except (OSError, CanonicalError) as exc:
        raise ClientError(f"cannot read {path}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.secret.client",
                                     description="Encrypt a secret ballot for the API.")
    parser.add_argument("proposal")
    parser.add_argument("election")
    parser.add_argument("token")
    parser.add_argument("options", nargs="+")
    parser.add_argument("--audit", action="store_true",
                        help="print the audit record of a ballot that will not be cast")
    args = parser.parse_args(argv)
    try:
        ballot = prepare_ballot(_load(args.proposal), _load(args.election), args.token,
                                args.options)
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = ballot.audit_record() if args.audit else {"cast": ballot.cast,
                                                    "tracker": ballot.tracker}
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
