"""Every model, imported in one place so Alembic sees the whole schema."""

from app.accounts.models import ApiToken, User
from app.audit.models import AuditEvent
from app.charter.models import CharterVersion
from app.council.models import CouncilSeat, Motion, MotionVoteRecord, Recusal
from app.growth.models import GrowthEntry
from app.keys.models import SigningKeyRecord
from app.proposals.models import Cosignature, Proposal, ProposalEvent
from app.results.models import SealedResult
from app.translog.models import Checkpoint, LogLeaf
from app.voting.models import Ballot, RollEntry

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "CharterVersion",
    "Checkpoint",
    "Cosignature",
    "CouncilSeat",
    "Motion",
    "MotionVoteRecord",
    "Recusal",
    "GrowthEntry",
    "LogLeaf",
    "Proposal",
    "ProposalEvent",
    "RollEntry",
    "SealedResult",
    "SigningKeyRecord",
    "User",
]
