"""Every response carries the hardening headers; the CSP allows no inline script or style."""

from __future__ import annotations

import re
from typing import Any

import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/proposals/", "/verify", "/no-such-page"])
def test_pages_carry_a_strict_content_security_policy(client: Any, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path", ["/", "/login", "/proposals/", "/verify", "/charter", "/log", "/log/witnesses"]
)
def test_pages_have_no_inline_script_or_style_for_the_csp_to_block(client: Any, path: str) -> None:
    html = client.get(path).data.decode()
    # Scripts only from this site's own files (script-src 'self'), never inline.
    for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", html, re.S):
        assert re.search(r'\ssrc="/static/[^"]+\.js"', tag) and not body.strip(), tag
    assert html.count("<script") == len(re.findall(r"<script[^>]*>.*?</script>", html, re.S))
    assert not re.search(r"\sstyle=", html)
    assert "<style" not in html


def test_session_cookies_are_httponly_secure_and_samesite(app: Any, client: Any) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = client.get("/login")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
