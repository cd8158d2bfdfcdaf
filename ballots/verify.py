"""``python -m ballots.verify BUNDLE [--receipt FILE]``: exit 0 if valid, 1 naming the failure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ballots.logproof import check_bundle_in_log
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
    parser.add_argument(
        "--witnesses",
        metavar="FILE",
        help="the witness policy to hold the log to (default: the bundle's or server's "
        "trust-witnesses.json; pass your own copy of the charter's to trust it less)",
    )
    parser.add_argument(
        "--skip-log", action="store_true", help="do not require the result to be in the log"
    )
    args = parser.parse_args(argv)
    report = verify_bundle(args.bundle, args.receipt)
    if report.ok:
        _check_log(args, report)
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    return 1


def _check_log(args: argparse.Namespace, report: VerifyReport) -> None:
    """The result's leaf under a cosigned checkpoint (ballots.logproof), into the report."""
    if args.skip_log:
        report.lines.append("  log: NOT checked (--skip-log)")
        return
    try:
        report.lines.extend(check_bundle_in_log(args.bundle, args.witnesses))
    except VerifyFailure as exc:
        report.ok, report.code, report.message = False, exc.code, exc.message


if __name__ == "__main__":
    sys.exit(main())
