"""Abuse limits, read from the configuration so an operator can tune them without a release.

Counters live in Flask-Limiter's storage, RATELIMIT_STORAGE_URI: `memory://` (per process) for
the embedded quick start, `redis://host:6379` when several workers or hosts serve the trust, so
that a limit holds across all of them (CI runs the limit tests against a real Redis).

    RATELIMIT_LOGIN_ADDRESS    sign-in attempts per client address
    RATELIMIT_LOGIN_ACCOUNT    sign-in attempts per login name (email or phone typed)
    RATELIMIT_SIGNUP_ADDRESS   sign-ups per client address
    RATELIMIT_CODE_ADDRESS     codes typed and links asked for, per client address
    RATELIMIT_CODE_ACCOUNT     reset links and claim codes sent, per account or login name
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

DEFAULTS = {
    "RATELIMIT_LOGIN_ADDRESS": "20 per minute",
    "RATELIMIT_LOGIN_ACCOUNT": "30 per hour",
    "RATELIMIT_SIGNUP_ADDRESS": "10 per hour",
    "RATELIMIT_CODE_ADDRESS": "10 per minute; 60 per hour",
    "RATELIMIT_CODE_ACCOUNT": "5 per 15 minutes; 20 per day",
}


def _limit(key: str) -> Callable[[], str]:
    def read() -> str:
        return str(current_app.config.get(key) or DEFAULTS[key])

    return read


def per_address(kind: str) -> Callable[[], str]:
    return _limit(f"RATELIMIT_{kind}_ADDRESS")


def per_login(kind: str) -> Callable[[], str]:
    return _limit(f"RATELIMIT_{kind}_ACCOUNT")
