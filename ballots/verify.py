"""``python -m ballots.verify BUNDLE [--receipt FILE] [--workers N]``: exit 0 if valid, else 1.

Format 1 (open ballots) and format 2 (secret ballots) bundles are told apart by the
``format`` member of result.json; a format 2 bundle is verified on every core by default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ballots.canonical import CanonicalError, strict_loads
from ballots.logproof import check_bundle_in_log
from ballots.verifier import MAX_DOCUMENT, VerifyFailure, VerifyReport, _Source, verify_bundle

__all__ = ["VerifyFailure", "VerifyReport", "main", "verify_any", "verify_bundle"]


def verify_any(
    bundle: str | Path, receipt: str | Path | None = None, workers: int | None = None
) -> VerifyReport:
    """Verify a bundle of either format."""
    try:
        source = _Source(bundle)
        result = source.document("result.json", "result.json")
    except VerifyFailure as exc:
        return VerifyReport(ok=False, code=exc.code, message=exc.message)
    if type(result) is dict and result.get("format") == 2:
        from ballots.secret.verifier import verify_secret

        receipt_obj: Any = None
        if receipt is not None:
            try:
                receipt_obj = strict_loads(Path(receipt).read_bytes()[: MAX_DOCUMENT + 1])
            except (OSError, CanonicalError) as exc:
                return VerifyReport(ok=False, code="receipt.json",
                                    message=f"cannot read receipt {receipt}: {exc}")
        return verify_secret(str(bundle), receipt_obj, workers, source=source, result=result)
    return verify_bundle(bundle, receipt)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ballots.verify",
        description="Verify a sealed result bundle (directory or http(s)://HOST/results/<id>/).",
    )
    parser.add_argument(
        "bundle",
        help="directory with result.json, roll.jsonl, ballots.jsonl, trust-keys.json "
        "(and for secret ballots election.json, tally.json), or a results URL",
    )
    parser.add_argument("--receipt", metavar="FILE", help="a ballot receipt to check as well")
    parser.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="processes checking ballot proofs (format 2; default: every core)",
    )
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
    report = verify_any(args.bundle, args.receipt, args.workers)
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
