"""``python -m ballots.verify BUNDLE [--receipt FILE]``: exit 0 if valid, 1 naming the failure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ballots.verifier import VerifyFailure, VerifyReport, verify_bundle

__all__ = ["VerifyFailure", "VerifyReport", "main", "verify_bundle"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ballots.verify",
        description="Verify a sealed result bundle (directory or http(s)://HOST/results/<id>/).",
    )
    parser.add_argument(
        "bundle",
        help="directory with result.json, roll.jsonl, ballots.jsonl, "
        "trust-keys.json, or a results URL",
    )
    parser.add_argument("--receipt", metavar="FILE", help="a ballot receipt to check as well")
    args = parser.parse_args(argv)
    report = verify_bundle(args.bundle, args.receipt)
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
