"""One place where an API operation is declared: its route, its schemas, its document entry.

Each view is registered through `operation(...)`, which both adds the Flask route and records
the pydantic models that validate its query and body and serialise its answer. The OpenAPI
document at /api/openapi.json is then assembled by apispec from exactly those models, so the
shape of a proposal (or anything else) is written once: in app/api/schemas.py.

Why pydantic + apispec: pydantic v2 validates and serialises in compiled code (pydantic-core),
which keeps the cast path as fast as the hand-written checks it replaces (bench/api_schemas.py
measures it), and emits JSON Schema 2020-12, which is what OpenAPI 3.1 uses; apispec, the
long-kept generator behind flask-smorest, assembles paths, parameters, components and security
without tying the views to a framework of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from flask import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"
PROBLEM = "application/problem+json"


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    response: Any = None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = False
    errors: tuple[int, ...] = ()
    conditional: bool = False
    media_type: str = "application/json"
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    operation_id: str = ""


OPERATIONS: list[Operation] = []
_RULE_PART = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    None: {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
}


def _openapi_path(rule: str) -> tuple[str, dict[str, dict[str, Any]]]:
    params: dict[str, dict[str, Any]] = {}

    def swap(match: re.Match[str]) -> str:
        params[match.group(2)] = dict(_PARAM_SCHEMAS.get(match.group(1), _PARAM_SCHEMAS[None]))
        return "{" + match.group(2) + "}"

    return _RULE_PART.sub(swap, rule), params


def operation(bp: Blueprint, rule: str, method: str, summary: str, *, tag: str,
              **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route a view on `bp` and describe it in the document with the schemas it uses."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        full = (bp.url_prefix or "") + rule
        path, params = _openapi_path(full)
        OPERATIONS.append(Operation(path, method.lower(), summary, tag, path_params=params,
                                    operation_id=f"{bp.name}.{view.__name__}", **options))
        bp.add_url_rule(rule, view_func=view, methods=[method.upper()])
        return view

    return register


def _models() -> list[tuple[type[BaseModel], Any]]:
    from app.api.schemas import Problem

    seen: dict[str, tuple[type[BaseModel], Any]] = {"Problem": (Problem, "serialization")}
    for op in OPERATIONS:
        for model, mode in ((op.response, "serialization"), (op.body, "validation")):
            if isinstance(model, type) and issubclass(model, BaseModel):
                seen[model.__name__] = (model, mode)
    return list(seen.values())


def _parameters(op: Operation) -> list[dict[str, Any]]:
    out = [{"name": n, "in": "path", "required": True, "schema": s}
           for n, s in op.path_params.items()]
    if op.query is not None:
        schema = op.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description := op.query.model_fields[name].description:
                param["description"] = description
            out.append(param)
    if op.conditional:
        out.append({"name": "If-None-Match", "in": "header", "required": False,
                    "schema": {"type": "string"}})
    return out


_ERROR_TEXT = {
    304: "Not modified (the If-None-Match ETag still matches)",
    400: "Malformed request (problem details)",
    401: "Authentication required (problem details)",
    403: "Your role does not allow this (problem details)",
    404: "No such record (problem details)",
    409: "Conflicts with the record's current state (problem details)",
    422: "Refused by the charter's rules (problem details)",
}


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is None:
        responses[str(op.status)] = {"description": "OK"}
    elif isinstance(op.response, dict):
        responses[str(op.status)] = {
            "description": "OK", "content": {op.media_type: {"schema": op.response}}}
    else:
        schema = {"$ref": REF.format(model=op.response.__name__)}
        ok: dict[str, Any] = {"description": "OK", "content": {op.media_type: {"schema": schema}}}
        if op.conditional:
            ok["headers"] = {"ETag": {"schema": {"type": "string"}}}
        responses[str(op.status)] = ok
    codes = set(op.errors) | {405, 406}
    if op.body is not None or op.query is not None:
        codes |= {400}
    if op.auth:
        codes |= {401}
    if op.conditional:
        responses["304"] = {"description": _ERROR_TEXT[304]}
    problem = {"$ref": REF.format(model="Problem")}
    for code in sorted(codes):
        responses[str(code)] = {"description": _ERROR_TEXT.get(code, "Problem details"),
                                "content": {PROBLEM: {"schema": problem}}}
    return responses


def build_document(title: str, description: str) -> dict[str, Any]:
    spec = APISpec(title=title, version="1", openapi_version="3.1.0",
                   info={"description": description})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"})
    models = _models()
    _, top = models_json_schema(models, ref_template=REF)
    for name, schema in sorted(top.get("$defs", {}).items()):
        spec.components.schema(name, schema)
    by_path: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": op.operation_id,
            "parameters": _parameters(op),
            "responses": _responses(op),
        }
        if op.auth:
            entry["security"] = [{"bearer": []}, {"session": []}]
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {
                    "schema": {"$ref": REF.format(model=op.body.__name__)}}},
            }
        by_path.setdefault(op.path, {})[op.method] = entry
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
