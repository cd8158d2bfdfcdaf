"""The app a test's real worker process runs (`flask --app tests.worker_app trust worker`).

It is built exactly like the test session's app, from what the test passes in the environment,
so both share the database and the job store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app import create_app
from tests.conftest import app_test_config

app = create_app(
    app_test_config(
        os.environ["WORKER_DATABASE_URL"],
        Path(os.environ["WORKER_INSTANCE"]),
        **json.loads(os.environ.get("WORKER_EXTRA", "{}")),
    )
)
