"""Every model, imported in one place so Alembic sees the whole schema."""

from app.accounts.models import ApiToken, User
from app.audit.models import AuditEvent
from app.charter.models import CharterVersion
from app.communities.models import Community, CommunityDocument, CommunityEvent, CommunityMember
from app.council.models import Candidacy, CouncilSeat, Motion, MotionVoteRecord, Recusal
from app.growth.models import GrowthEntry
from app.keys.models import SigningKeyRecord
from app.proposals.models import Cosignature, Proposal, ProposalEvent
from app.results.models import SealedBallotBlock, SealedResult
from app.secret.models import (
    SecretBundleFiles,
    SecretDealtShare,
    SecretElection,
    SecretTrustee,
)
from app.translog.models import Checkpoint, LogLeaf
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    Evidence,
    LedgerRow,
    TreasuryTxn,
)
from app.voting.models import Ballot, RollEntry

__all__ = [
    "ApiToken",
    "Budget",
    "Disbursement",
    "DisbursementApproval",
    "Evidence",
    "LedgerRow",
    "TreasuryTxn",
    "Candidacy",
    "Community",
    "CommunityDocument",
    "CommunityEvent",
    "CommunityMember",
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
    "SealedBallotBlock",
    "SealedResult",
    "SecretBundleFiles",
    "SecretDealtShare",
    "SecretElection",
    "SecretTrustee",
    "SigningKeyRecord",
    "User",
]
