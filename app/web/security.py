"""HTTP hardening applied to every response."""

from __future__ import annotations

from flask import Flask, Response, request

# No inline script or style anywhere: charts are SVG attributes, not style= or <script>.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages that show a signed-in person's own data must not sit in shared caches.
        if request.cookies.get(app.config.get("SESSION_COOKIE_NAME", "session")):
            headers.setdefault("Cache-Control", "private, no-store")
        # Public verifiable files may be fetched by verifiers on other origins.
        if request.path.startswith(("/results/", "/log/", "/.well-known/")):
            headers.setdefault("Access-Control-Allow-Origin", "*")
        return response
