"""Check a spoiled ballot offline (the Benaloh challenge).

    python -m ballots.secret.audit PROPOSAL.json ELECTION.json AUDIT.json

PROPOSAL.json is the vote's proposal object, ELECTION.json its election document, AUDIT.json
the record the vote page (or ``python -m ballots.secret.client --audit``) showed for a ballot
it then discarded. Checks the election (every trustee proof), the ballot's proofs, its tracker,
and that with the revealed randomness each ciphertext encrypts exactly the selection shown.
Prints the selection and exits 0, or names the fault and exits 1. A device that encrypted
anything else than what the voter chose is caught here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ballots.canonical import CanonicalError, strict_loads
from ballots.secret.ballot import BallotError
from ballots.secret.client import check_audit
from ballots.secret.trustees import TrusteeError
from ballots.tally import SpecError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.secret.audit",
                                     description="Check a spoiled secret ballot offline.")
    parser.add_argument("proposal")
    parser.add_argument("election")
    parser.add_argument("audit")
    args = parser.parse_args(argv)
    try:
        docs = [strict_loads(Path(p).read_bytes()) for p in (args.proposal, args.election,
                                                             args.audit)]
        selection = check_audit(docs[0], docs[1], docs[2])
    except (OSError, CanonicalError, BallotError, TrusteeError, SpecError) as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    print(f"OK: this ballot encrypts exactly: {', '.join(selection)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
