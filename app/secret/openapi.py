"""The OpenAPI paths of secret votes (merged into /api/openapi.json by app.api.openapi)."""

from __future__ import annotations

from typing import Any

_ERR = {"description": "Refused; nothing stored",
        "content": {"application/problem+json": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}}}}
_OBJ = {"content": {"application/json": {"schema": {"type": "object"}}}}
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]


def _get(summary: str, pid: dict[str, Any], auth: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [pid],
                          "responses": {"200": {"description": "OK", **_OBJ}, "404": _ERR}}
    if auth:
        op["security"] = _AUTH
        op["responses"]["401"] = _ERR
        op["responses"]["403"] = _ERR
    return {"get": op}


def _post(summary: str, pid: dict[str, Any]) -> dict[str, Any]:
    return {"post": {"summary": summary, "security": _AUTH, "parameters": [pid],
                     "requestBody": {"required": True, **_OBJ},
                     "responses": {"201": {"description": "Accepted", **_OBJ}, "400": _ERR,
                                   "401": _ERR, "403": _ERR, "404": _ERR, "409": _ERR,
                                   "422": _ERR}}}


def secret_paths(pid: dict[str, Any]) -> dict[str, Any]:
    base = "/api/secret/{proposal_id}"
    return {
        f"{base}/ceremony": _get("The key ceremony: trustees, what each posted, your index",
                                 pid),
        f"{base}/proposal.json": _get("The vote's proposal object, as ballots encrypt it", pid),
        f"{base}/election.json": _get("The checked election document (the election key)", pid),
        f"{base}/keygen": _post("Trustee: your commitments with proofs and transport key", pid),
        f"{base}/deal": _post("Trustee: your shares for the others, each sealed to them", pid),
        f"{base}/shares": _get("Trustee: the sealed shares dealt to you", pid, auth=True),
        f"{base}/confirm": _post("Trustee: every share dealt to you checked (complaints, if "
                                 "any, filed first)", pid),
        f"{base}/complaints": _post("Trustee: a public complaint against the dealer whose share "
                                    "did not open or failed its commitments", pid),
        f"{base}/answers": _post("Dealer: the shares of the trustees who complained against "
                                 "you, in the clear, checked by everyone", pid),
        f"{base}/tally": _get("The encrypted tally (after close)", pid),
        f"{base}/decrypt": _post("Trustee: your decryption share with its proofs", pid),
        f"{base}/ballots": _post(
            "Cast or replace your encrypted ballot (the cast object of "
            "ballots.secret.client); every proof is checked; returns the signed tracker "
            "receipt", pid),
    }
