"""Every model, imported in one place so Alembic sees the whole schema."""

from app.accounts.models import AccountCode, ApiToken, RecoveryCode, User, UserSession
from app.audit.models import AuditEvent
from app.charter.models import CharterVersion
from app.communities.models import Community, CommunityDocument, CommunityEvent, CommunityMember
from app.council.models import Candidacy, CouncilSeat, Motion, MotionVoteRecord, Recusal
from app.discussion.models import Amendment, Comment, CommentAppeal, CommentReport
from app.growth.models import GrowthEntry, HeldGrowthEntry, OwnerClaim, OwnerContact
from app.jobs.models import Job
from app.keys.models import SigningKeyRecord
from app.mail.models import OutboxMessage
from app.notifications.models import Notification, NotificationPrefs, NotificationSetting
from app.proposals.models import Cosignature, Proposal, ProposalEvent
from app.results.models import SealedBallotBlock, SealedResult
from app.search.models import SearchDocument
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
    "AccountCode",
    "ApiToken",
    "HeldGrowthEntry",
    "OutboxMessage",
    "OwnerClaim",
    "OwnerContact",
    "RecoveryCode",
    "UserSession",
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
    "Amendment",
    "Comment",
    "CommentAppeal",
    "CommentReport",
    "Job",
    "LogLeaf",
    "Notification",
    "NotificationPrefs",
    "NotificationSetting",
    "Proposal",
    "ProposalEvent",
    "RollEntry",
    "SealedBallotBlock",
    "SealedResult",
    "SearchDocument",
    "SecretBundleFiles",
    "SecretDealtShare",
    "SecretElection",
    "SecretTrustee",
    "SigningKeyRecord",
    "User",
]
