"""The framework ceiling: the trust's own app (factory, extensions, every request hook) with
one extra view that does nothing. What a cast costs above this is the cast itself."""

from __future__ import annotations

from app import create_app

app = create_app()


@app.get("/__bench/empty")
def empty() -> dict[str, bool]:
    return {"ok": True}
