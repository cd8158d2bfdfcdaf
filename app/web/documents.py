"""Supporting documents for the council's reviewers: each served only to a seated council member,
and only if the stored bytes still hash to the SHA-256 the trust published for it.

The public sees the digests; a reviewer who downloads a file can recompute the same digest.
A file that no longer matches is never served (and the attempt is in the audit trail), so a
swapped file on disk cannot reach a reviewer under a published hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import abort, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

SHA_RE = re.compile(r"[0-9a-f]{64}")


def serve_checked(folder: Path, sha256: str, subject: str) -> Response:
    """``folder/sha256`` as a download for a seated member, after checking its digest."""
    from app.audit import service as audit
    from app.core.extensions import db
    from app.council.service import is_seated

    if not is_seated(current_user):
        abort(403)  # reviewers are seated members; an administrator runs operations only
    if not SHA_RE.fullmatch(sha256):
        abort(404)
    path = folder / sha256
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        audit.record_refusal("document.mismatch", actor_id=current_user.id, subject=subject,
                             sha256=sha256)
        abort(409)
    audit.record("document.opened", actor_id=current_user.id, subject=subject, sha256=sha256)
    db.session.commit()
    # Served as a download, never rendered in the trust's origin.
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=f"{sha256}.bin")
    response.headers["Cache-Control"] = "private, no-store"
    return response
