from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.accounts.profile import bp as profile_bp
    from app.accounts.twofactor_views import bp as twofactor_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin import people  # noqa: F401  (adds the outbox and claims pages to admin_bp)
    from app.admin.views import bp as admin_bp
    from app.api.actions import bp as api_actions_bp
    from app.api.comments import bp as api_comments_bp
    from app.api.public import bp as api_public_bp
    from app.api.views import bp as api_bp
    from app.communities.views import bp as communities_bp
    from app.council import (
        candidacy_views,  # noqa: F401  (adds the candidacy pages)
        motion_form,  # noqa: F401  (adds the motion form to council_bp)
    )
    from app.council.views import bp as council_bp
    from app.discussion.views import bp as discussion_bp
    from app.growth.api import bp as growth_api_bp
    from app.jobs.views import bp as jobs_bp
    from app.notifications.views import bp as notifications_bp
    from app.opendata.views import bp as opendata_bp
    from app.owner.views import bp as owner_bp
    from app.proposals.views import bp as proposals_bp
    from app.public.views import bp as public_bp
    from app.results.views import bp as verifiable_bp
    from app.search.views import bp as search_bp
    from app.secret.views import api as secret_api_bp
    from app.secret.views import pages as secret_pages_bp
    from app.translog.views import bp as witnessed_bp
    from app.treasury.views import bp as treasury_bp

    for bp in (
        public_bp,
        accounts_bp,
        profile_bp,
        twofactor_bp,
        proposals_bp,
        owner_bp,
        verifiable_bp,
        witnessed_bp,
        growth_api_bp,
        api_bp,
        api_public_bp,
        api_actions_bp,
        api_comments_bp,
        opendata_bp,
        council_bp,
        communities_bp,
        treasury_bp,
        admin_bp,
        notifications_bp,
        jobs_bp,
        search_bp,
        discussion_bp,
        secret_api_bp,
        secret_pages_bp,
    ):
        app.register_blueprint(bp)
