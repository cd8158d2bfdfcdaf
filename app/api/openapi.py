"""The OpenAPI 3.1 description of the JSON API and the public verifiable endpoints."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.secret.openapi import secret_paths

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ERROR = {
    "description": "Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def _query_int(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }


def openapi_document() -> dict[str, Any]:
    ref = "#/components/schemas/"
    pid = _path_param("proposal_id", {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['TRUST_NAME']} API",
            "version": "1",
            "description": "Proposals, ballots, receipts and results of the owners' trust. "
            "Signed objects follow the project's verifiable-records specification.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
                "Fraction": {
                    "type": "object",
                    "properties": {"num": {"type": "integer"}, "den": {"type": "integer"}},
                },
                "Proposal": {
                    "type": "object",
                    "required": ["id", "kind", "title", "state", "method", "options"],
                    "properties": {
                        "id": {"type": "string"},
                        "kind": {"type": "string"},
                        "title": {"type": "string"},
                        "body": {"type": "string"},
                        "state": {"type": "string"},
                        "method": {"enum": ["binary", "single", "approval"]},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "label": {"type": "string"},
                                },
                            },
                        },
                        "seats": {"type": "integer"},
                        "weight_rule": {"type": "string"},
                        "eligibility_min": {"type": "integer"},
                        "quorum": {"$ref": ref + "Fraction"},
                        "threshold": {"$ref": ref + "Fraction"},
                        "opens_at": {"type": ["string", "null"]},
                        "closes_at": {"type": ["string", "null"]},
                        "charter_version": {"type": "integer"},
                        "roll": {"type": ["object", "null"]},
                    },
                },
                "Signature": {
                    "type": "object",
                    "properties": {
                        "alg": {"const": "Ed25519"},
                        "key_id": HEX64,
                        "value": {"type": "string"},
                    },
                },
                "Receipt": {
                    "type": "object",
                    "required": [
                        "type",
                        "proposal",
                        "token",
                        "selection",
                        "weight",
                        "cast_at",
                        "nonce",
                        "receipt",
                        "signature",
                    ],
                    "properties": {
                        "type": {"const": "ballot-receipt"},
                        "proposal": {"type": "string"},
                        "token": HEX64,
                        "selection": {"type": "array", "items": {"type": "string"}},
                        "weight": {"type": "integer"},
                        "cast_at": {"type": "string"},
                        "nonce": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                        "receipt": HEX64,
                        "signature": {"$ref": ref + "Signature"},
                    },
                },
                "Result": {"type": "object", "description": "Signed result statement (spec)."},
            },
        },
        "paths": {
            **secret_paths(pid),
            "/api/proposals": {
                "get": {
                    "summary": "List proposals (drafts are never listed)",
                    "parameters": [{"name": "state", "in": "query", "schema": {"type": "string"}}],
                    "responses": {
                        "200": _ok({"type": "array", "items": {"$ref": ref + "Proposal"}})
                    },
                }
            },
            "/api/proposals/{proposal_id}": {
                "get": {
                    "summary": "One proposal",
                    "parameters": [pid],
                    "responses": {"200": _ok({"$ref": ref + "Proposal"}), "404": ERROR},
                }
            },
            "/api/proposals/{proposal_id}/my-weight": {
                "get": {
                    "summary": "Your frozen weight and pseudonymous token in this vote",
                    "security": [{"bearer": []}, {"session": []}],
                    "parameters": [pid],
                    "responses": {"200": _ok({"type": "object"}), "401": ERROR, "404": ERROR},
                }
            },
            "/api/proposals/{proposal_id}/ballots": {
                "post": {
                    "summary": "Cast or replace your ballot; returns the signed receipt",
                    "security": [{"bearer": []}, {"session": []}],
                    "parameters": [pid],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["selection"],
                                    "properties": {
                                        "selection": {"type": "array", "items": {"type": "string"}}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _ok({"$ref": ref + "Receipt"}, "Accepted"),
                        "400": ERROR,
                        "401": ERROR,
                        "422": ERROR,
                    },
                }
            },
            "/api/me": {
                "get": {
                    "summary": "Your account and current growth value",
                    "security": [{"bearer": []}, {"session": []}],
                    "responses": {"200": _ok({"type": "object"}), "401": ERROR},
                }
            },
            "/api/me/receipts": {
                "get": {
                    "summary": "Every receipt you were given, and whether each ballot counts",
                    "security": [{"bearer": []}, {"session": []}],
                    "responses": {"200": _ok({"type": "array"}), "401": ERROR},
                }
            },
            "/api/results/{proposal_id}": {
                "get": {
                    "summary": "The current sealed result with links to its bundle",
                    "parameters": [pid],
                    "responses": {"200": _ok({"type": "object"}), "404": ERROR},
                }
            },
            "/api/growth/import": {
                "post": {
                    "summary": "Import growth-value entries (all or nothing)",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _ok({"type": "object"}),
                        "400": ERROR,
                        "401": ERROR,
                        "422": ERROR,
                        "503": ERROR,
                    },
                }
            },
            "/.well-known/trust-keys.json": {
                "get": {
                    "summary": "Every signing key ever used",
                    "responses": {"200": _ok({"type": "object"})},
                }
            },
            "/results/{proposal_id}/result.json": {
                "get": {
                    "summary": "Signed result",
                    "parameters": [pid],
                    "responses": {"200": _ok({"$ref": ref + "Result"}), "404": ERROR},
                }
            },
            "/results/{proposal_id}/roll.jsonl": {
                "get": {
                    "summary": "Frozen roll, JSON Lines",
                    "parameters": [pid],
                    "responses": {"200": {"description": "JSON Lines"}, "404": ERROR},
                }
            },
            "/results/{proposal_id}/ballots.jsonl": {
                "get": {
                    "summary": "Every accepted ballot, JSON Lines",
                    "parameters": [pid],
                    "responses": {"200": {"description": "JSON Lines"}, "404": ERROR},
                }
            },
            "/results/{proposal_id}/commitments.json": {
                "get": {
                    "summary": "The running commitments (ballots.committed log records) made "
                    "while the vote ran; python -m ballots.verify checks the ballots against them",
                    "parameters": [pid],
                    "responses": {"200": _ok({"type": "array"}), "404": ERROR},
                }
            },
            "/results/{proposal_id}/proof/{receipt}": {
                "get": {
                    "summary": "Inclusion proof of the ballot carrying this receipt",
                    "parameters": [pid, _path_param("receipt", HEX64)],
                    "responses": {"200": _ok({"type": "object"}), "400": ERROR, "404": ERROR},
                }
            },
            "/log/checkpoint": {
                "get": {
                    "summary": "Signed checkpoint of the transparency log",
                    "responses": {"200": _ok({"type": "object"})},
                }
            },
            "/log/checkpoint.txt": {
                "get": {
                    "summary": "The checkpoint as a C2SP signed note, with witness cosignatures",
                    "responses": {"200": {"description": "text/plain signed note"}},
                }
            },
            "/.well-known/trust-witnesses.json": {
                "get": {
                    "summary": "The charter's witnesses (vkeys) and quorum",
                    "responses": {"200": _ok({"type": "object"})},
                }
            },
            "/results/{proposal_id}/log-proof.json": {
                "get": {
                    "summary": "The result's log leaf, inclusion proof and cosigned checkpoint",
                    "parameters": [pid],
                    "responses": {"200": _ok({"type": "object"}), "404": ERROR},
                }
            },
            "/log/entries": {
                "get": {
                    "summary": "Log leaves start..end-1 (at most 1000)",
                    "parameters": [_query_int("start"), _query_int("end")],
                    "responses": {"200": _ok({"type": "array"}), "400": ERROR},
                }
            },
            "/log/proof/inclusion": {
                "get": {
                    "summary": "Inclusion proof of leaf index in the tree of size",
                    "parameters": [_query_int("index"), _query_int("size")],
                    "responses": {"200": _ok({"type": "object"}), "400": ERROR},
                }
            },
            "/log/proof/consistency": {
                "get": {
                    "summary": "Consistency proof between two sizes",
                    "parameters": [_query_int("first"), _query_int("second")],
                    "responses": {"200": _ok({"type": "object"}), "400": ERROR},
                }
            },
        },
    }
