"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi ...` for commands."""

import sys

from app import create_app
from app.core.config import WeakSecretError

try:
    app = create_app()
except WeakSecretError as exc:
    # One clear line, not a traceback: the operator fixes the environment and starts again.
    sys.exit(f"error: {exc}")
