"""Extensions created unbound; `create_app` binds them with `init_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that migrations name the same thing the same way on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Who commits: services add and flush; the boundary commits — the view for a request, the
# command for the CLI, the cron entry point (app.decisions.cron) per vote — so one request's
# work lands whole or not at all, whatever services it called. Two exceptions, each for a
# reason the caller cannot undo: audit.record_refusal rolls the refused work back and commits
# the refusal alone (a refusal is kept whatever happens next), and voting.cast commits before
# it returns a signed receipt (a receipt promises a stored ballot). docs/architecture.md.
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Per-process counters by default (see README: point RATELIMIT_STORAGE_URI at a shared store
# when running several hosts). Account lockout itself lives in the database, shared by all.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
