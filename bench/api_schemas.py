"""Micro-benchmark of the cast request's validation and serialisation, before and after pydantic.

    python bench/api_schemas.py [--rounds N]

"before" is what app/api/views.py did by hand until the API moved onto its schemas: parse the
body with Flask's JSON, check its shape, serialise the receipt with jsonify. "after" is what it
does now: CastRequest.model_validate_json on the raw body, Receipt.model_validate, and
model_dump_json into a Response. Both run in one app context on the same bytes,
interleaved; the figure is microseconds a request (best of 7 runs). The request plumbing
around them (reading the body, calling the view) is the same before and after.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# bench/ holds a limits.py of its own: the repository root, not bench/, goes first.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask import Response, jsonify  # noqa: E402

from app.api import schemas as S  # noqa: E402

BODY = json.dumps({"selection": ["yes"]}).encode()
RECEIPT: dict[str, Any] = {
    "type": "ballot-receipt", "proposal": "2026-001", "token": "a" * 64, "selection": ["yes"],
    "weight": 1200, "cast_at": "2026-11-30T04:00:00Z", "nonce": "b" * 32, "receipt": "c" * 64,
    "signature": {"alg": "Ed25519", "key_id": "d" * 64, "value": "e" * 86},
}


def before() -> Response:
    # As the view did: Flask's JSON parse of the body, the shape check, jsonify's dump.
    body = json.loads(BODY)
    if not isinstance(body, dict) or "selection" not in body:
        raise ValueError
    _ = body["selection"]
    return jsonify(RECEIPT)


def after() -> Response:
    # As the view does now (body_of and json_response without the request plumbing).
    _ = S.CastRequest.model_validate_json(BODY).selection
    receipt = S.Receipt.model_validate(RECEIPT)
    return Response(receipt.model_dump_json(by_alias=True), status=201,
                    mimetype="application/json")


def measure(fn: Any, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5000)
    args = parser.parse_args()
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench",
                      "TRUST_SKIP_KEY_CHECK": True})
    old, new = float("inf"), float("inf")
    with app.app_context():
        for _ in range(7):  # interleaved, best of 7: the machine is shared
            old = min(old, measure(before, args.rounds))
            new = min(new, measure(after, args.rounds))
    print(json.dumps({"before_us": round(old, 1), "after_us": round(new, 1),
                      "ratio_after_to_before": round(new / old, 2)}))


if __name__ == "__main__":
    main()
