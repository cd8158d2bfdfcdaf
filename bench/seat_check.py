"""What checking seats and roles against their log leaves costs a council page (issue 16).

    DATABASE_URL=postgresql+psycopg://... python -m bench.seat_check [--requests 300]

Builds a council of nine logged seats and an administrator on the given (throwaway) database,
then, in the same run: the seat read alone with and without the check, and the council's
public page and review queue served with the check and with it switched off. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

ROLES = ("chair", "asset_committee", "asset_committee", "proceeds_committee",
         "proceeds_committee", "supervisors", "supervisors", "protector", "asset_committee")


def _build() -> Any:
    from sqlalchemy import text

    from app import create_app
    from app.accounts.services import create_user
    from app.charter import service as charter
    from app.core.db_types import utcnow
    from app.core.extensions import db
    from app.council import service as council
    from app.keys import service as keys
    from governance.default_charter import default_rules

    app = create_app({
        "DATABASE_URL": os.environ["DATABASE_URL"], "INSTANCE_PATH": tempfile.mkdtemp(),
        # Random per run: the start-up guard refuses weak secrets, even a bench's.
        "SECRET_KEY": secrets.token_hex(32), "TRUST_SIGNING_KEY_PASSPHRASE": secrets.token_hex(16),
        "TRUST_TOKEN_SECRET": secrets.token_hex(32), "PASSWORD_HASH_FAST": True,
        "RATELIMIT_ENABLED": False, "TRUST_JOB_CRON": False, "TRUST_INSECURE_COOKIES": "1",
    })
    with app.app_context():
        tables = ", ".join(t.name for t in reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
        db.session.commit()
        now = utcnow()
        keys.ensure_key(valid_from=now - timedelta(days=400))
        charter.install_first("# Bench charter\n\nArt. 1.", default_rules(),
                              at=now - timedelta(days=365))
        create_user(display_name="Admin", email="admin@seat.bench", password="x" * 16,
                    role="admin", check_policy=False)
        for i, role in enumerate(ROLES):
            member = create_user(display_name=f"Member {i}", email=f"m{i}@seat.bench",
                                 password="x" * 16, check_policy=False)
            db.session.flush()
            council.seat(member, role, now - timedelta(days=30))
        db.session.commit()
    return app


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    app = _build()
    from sqlalchemy import select

    from app.core.extensions import db
    from app.council import seats
    from app.council.models import CouncilSeat

    n = args.requests
    report: dict[str, Any] = {"seats": len(ROLES), "repeats": n}
    with app.app_context():
        raw = _median_ms(lambda: db.session.scalars(select(CouncilSeat).where(
            *seats._active(seats.utcnow()))).all(), n)
        with_check = _median_ms(seats.active_seats, n)
        report |= {"seat_read_ms": round(raw, 3), "seat_read_checked_ms": round(with_check, 3)}
    client = app.test_client()
    checked = (seats._read, seats._backed)

    def plain_read(*where: Any) -> list[Any]:
        rows = db.session.scalars(select(CouncilSeat).where(*where)
                                  .order_by(CouncilSeat.role, CouncilSeat.id))
        return [(row, None, None) for row in rows]

    def keep_all(found: Any, actor_id: int | None = None) -> list[Any]:
        return [row for row, _s, _v in found]

    # Interleaved, one request each way in turn: other work on the machine hits both alike.
    timed: dict[str, list[float]] = {"checked": [], "unchecked": []}
    ways = (("checked", checked), ("unchecked", (plain_read, keep_all)))
    assert client.get("/council/").status_code == 200
    for _ in range(n):
        for label, (read, backed) in ways:
            seats._read, seats._backed = read, backed  # type: ignore[assignment]
            try:
                started = time.perf_counter()
                client.get("/council/")
                timed[label].append(time.perf_counter() - started)
            finally:
                seats._read, seats._backed = checked  # type: ignore[assignment]
    for label, times in timed.items():
        report[f"council_page_{label}_ms"] = round(statistics.median(times) * 1000, 3)
    report["page_overhead_ratio"] = round(
        report["council_page_checked_ms"] / report["council_page_unchecked_ms"], 3)
    report["load"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
