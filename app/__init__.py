"""The owners' trust web application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.core.config import build_config
from app.core.extensions import babel, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    app = Flask(
        __name__,
        instance_path=config.pop("INSTANCE_PATH", None),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(app.instance_path, config))

    db.init_app(app)
    from app.core.schema import include_object, render_item

    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    _drop_limiter_sweep(app)

    from app.core.database import configure_engine
    from app.core.translations import ensure_compiled
    from app.web.i18n import select_locale, select_timezone

    ensure_compiled(PROJECT_ROOT / "translations")
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PROJECT_ROOT / "translations"),
    )
    configure_engine(app)

    from app import models  # noqa: F401  (registers every table with the metadata)
    from app.notifications import hooks
    from app.search import index as search_index

    hooks.install()
    search_index.install()
    from app.blueprints import register_blueprints
    from app.cli import register_cli
    from app.web.errors import register_error_handlers
    from app.web.json_bounds import register_json_bounds
    from app.web.nul import register_nul_guard
    from app.web.numbers import IdConverter
    from app.web.security import register_security_headers
    from app.web.templating import register_templating

    app.url_map.converters["int"] = IdConverter  # before any route is added
    register_blueprints(app)
    register_cli(app)
    register_templating(app)
    register_error_handlers(app)
    register_security_headers(app)
    from app.audit import unbacked

    unbacked.register(app)
    register_json_bounds(app)  # before the NUL guard, which may parse the body
    register_nul_guard(app)

    if app.config["AUTO_MIGRATE"]:
        from app.core.schema import upgrade_to_head

        upgrade_to_head(app)
    return app


def _drop_limiter_sweep(app: Flask) -> None:
    """Limits here are declared on views only (sign-in, sign-up), and Flask-Limiter's decorator
    enforces those itself. Its before-request pass looks for default, application and blueprint
    limits, which this app has none of, on every request: a tenth of an API cast's CPU.
    """
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
