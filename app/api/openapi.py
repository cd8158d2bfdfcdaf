"""The OpenAPI 3.1 document, generated from the registered operations and their schemas.

The verifiable files (results, the log, keys) are served by app/results/ as exact signed bytes,
not through pydantic; they are listed here with their media types so a client finds them in
one document, and the API's own operations come from app/api/spec.py's registry.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.api.spec import OPERATIONS, Operation, build_document
from app.secret.openapi import secret_paths

OBJECT: dict[str, Any] = {"type": "object"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
PID = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
SIZE = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


def _file(path: str, summary: str, media: str = "application/json",
          params: dict[str, Any] | None = None, errors: tuple[int, ...] = (404,),
          schema: dict[str, Any] | None = None) -> Operation:
    return Operation(path, "get", summary, "verifiable records", response=schema or OBJECT,
                     media_type=media, errors=errors, path_params=params or {},
                     operation_id="files." + path.strip("/").replace("/", ".").replace("{", "")
                     .replace("}", ""))


_FILES = [
    _file("/.well-known/trust-keys.json", "Every signing key ever used", errors=()),
    _file("/.well-known/trust-keys.note", "The keys document as a C2SP signed note: each key "
          "endorsed by the key before it, signed by the current key", "text/plain", errors=(),
          schema={"type": "string"}),
    _file("/.well-known/trust-keys.proof.json", "Each key's log record and leaf, with its "
          "inclusion proof under the checkpoint the witnesses cosigned (carried as a note)",
          errors=()),
    _file("/results/{proposal_id}/result.json", "Signed result statement",
          params={"proposal_id": PID}),
    _file("/results/{proposal_id}/roll.jsonl", "Frozen roll, JSON Lines", "application/jsonl",
          {"proposal_id": PID}, schema={"type": "string"}),
    _file("/results/{proposal_id}/ballots.jsonl", "Every accepted ballot, JSON Lines",
          "application/jsonl", {"proposal_id": PID}, schema={"type": "string"}),
    _file("/results/{proposal_id}/commitments.json", "The running commitments "
          "(ballots.committed log records) made while the vote ran; python -m ballots.verify "
          "checks the ballots against them", params={"proposal_id": PID},
          schema={"type": "array"}),
    _file("/results/{proposal_id}/proof/{receipt}", "Inclusion proof of the ballot with this "
          "receipt", params={"proposal_id": PID, "receipt": HEX64}, errors=(400, 404)),
    _file("/log/checkpoint", "Signed checkpoint of the transparency log", errors=()),
    _file("/log/checkpoint.txt", "The checkpoint as a C2SP signed note, with witness "
          "cosignatures", "text/plain", errors=(), schema={"type": "string"}),
    _file("/.well-known/trust-witnesses.json", "The charter's witnesses (vkeys) and quorum",
          errors=()),
    _file("/results/{proposal_id}/log-proof.json", "The result's log leaf, inclusion proof "
          "and cosigned checkpoint", params={"proposal_id": PID}),
    _file("/log/record/{index}", "One log record by index", params={"index": SIZE}),
    _file("/log/records", "The records of leaves start..end-1 (end <= the log's size, at most "
          "256) as one JSON array, each exactly as stored", errors=(400,),
          schema={"type": "array"}),
]
_IMPORT = Operation(
    "/api/growth/import", "post", "Import growth-value entries, all or nothing (the brand's "
    "systems, with the configured import token; JSON, JSON Lines or CSV)", "growth",
    response=OBJECT, errors=(400, 401, 413, 415, 422, 503), auth=True,
    operation_id="growth_api.import_entries")
_registered = False


def openapi_document() -> dict[str, Any]:
    global _registered
    if not _registered:
        OPERATIONS.extend([*_FILES, _IMPORT])
        _registered = True
    document = build_document(
        f"{current_app.config['TRUST_NAME']} API",
        "Every public record of the owners' trust and the actions a client app needs. "
        "Signed objects follow the project's verifiable-records specification. Errors are "
        "RFC 9457 problem details; public reads carry an ETag and answer If-None-Match with "
        "304; lists are pages with links (page, per_page).",
    )
    # Secret votes' ceremony and casting (app/secret), described beside the generated paths.
    document["paths"].update(secret_paths({"name": "proposal_id", "in": "path",
                                           "required": True, "schema": PID}))
    return document
