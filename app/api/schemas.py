"""The API's shapes, written once: they validate requests, serialise answers and make the document.

Times are UTC instants written `YYYY-MM-DDTHH:MM:SSZ`; money is an integer number of fen
(1 yuan = 100 fen), never a float. Records read from the database are taken attribute by
attribute (`from_attributes`), so a column added to a model appears here only when named here:
nothing private leaks by accident.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema


def _instant(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


Instant = Annotated[
    datetime,
    PlainSerializer(_instant, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
Fen = Annotated[int, Field(description="money in fen (1 yuan = 100 fen)")]


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    """RFC 9457 problem details; `error` repeats `detail` for clients of the first API."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    error: str
    code: str | None = Field(None, description="the refusal's code (charter rule), on 422")
    errors: list[dict[str, Any]] | None = Field(
        None, description="the fields at fault, on 400: [{field, reason}]")


class Links(BaseModel):
    self: str
    next: str | None = None
    prev: str | None = None
    first: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    links: Links


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    page: int = Field(1, ge=1, le=100_000, description="page number, from 1")
    per_page: int = Field(50, ge=1, le=200, description="items a page (at most 200)")


class StateQuery(PageQuery):
    state: str | None = Field(None, max_length=32, pattern="^[a-z_]+$")


# --- proposals, ballots, results -------------------------------------------------------------


class Fraction(BaseModel):
    num: int
    den: int


class Option(BaseModel):
    id: str
    label: str


class Roll(BaseModel):
    size: int
    total_weight: int


class Proposal(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    state: str
    method: Literal["binary", "single", "approval"] | str
    options: list[Option]
    seats: int | None
    weight_rule: str
    eligibility_min: int
    quorum: Fraction
    threshold: Fraction
    opens_at: Instant | None
    closes_at: Instant | None
    charter_version: int | None
    secrecy: str = "open"
    roll: Roll | None


class CastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selection: list[Annotated[str, Field(max_length=64)]] = Field(max_length=64)


class Signature(BaseModel):
    alg: Literal["Ed25519"]
    key_id: Hex64
    value: str


class Receipt(BaseModel):
    type: Literal["ballot-receipt"]
    proposal: str
    token: Hex64
    selection: list[str]
    weight: int
    cast_at: str
    nonce: Annotated[str, Field(pattern="^[0-9a-f]{32}$")]
    receipt: Hex64
    signature: Signature


class TrackerReceipt(BaseModel):
    """A secret vote's receipt: the signed tracker of the encrypted ballot, no choice."""

    model_config = ConfigDict(extra="allow")
    type: str
    proposal: str
    signature: Signature


class MyReceipt(BaseModel):
    receipt: Receipt | TrackerReceipt
    counts: bool


class MyReceipts(RootModel[list[MyReceipt]]):
    pass


class MyWeight(BaseModel):
    proposal: str
    token: Hex64
    weight: int


class Me(BaseModel):
    id: int
    display_name: str
    role: str
    vehicle_count: int
    growth_value: int


class ResultFiles(BaseModel):
    result_json: str = Field(alias="result.json", serialization_alias="result.json")
    roll_jsonl: str = Field(alias="roll.jsonl", serialization_alias="roll.jsonl")
    ballots_jsonl: str = Field(alias="ballots.jsonl", serialization_alias="ballots.jsonl")


class SealedResult(BaseModel):
    result: dict[str, Any]
    digest: Hex64
    files: ResultFiles


# --- council ---------------------------------------------------------------------------------


class Seat(Record):
    id: int
    member_id: int
    member: str
    role: str
    term_start: Instant
    term_end: Instant
    elected_by: str | None
    vacated_at: Instant | None
    vacated_reason: str | None


class RollCallVote(Record):
    member_id: int
    member: str
    choice: str
    at: Instant


class RecusalOut(Record):
    member_id: int
    member: str
    reason: str
    at: Instant


class MotionOut(Record):
    id: int
    kind: str
    subject: str
    title: str
    body: str
    opened_by: int
    opened_at: Instant
    closes_at: Instant | None
    state: str
    closed_at: Instant | None
    outcome: dict[str, Any] | None
    referred_to: str | None


class MotionDetail(MotionOut):
    roll_call: list[RollCallVote]
    recusals: list[RecusalOut]


class MotionVoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choice: Literal["for", "against", "abstain"]


# --- communities -----------------------------------------------------------------------------


class CommunityOut(Record):
    id: int
    name: str
    industry: str
    description: str
    member_count: int
    state: str
    scheme_proposal_id: str | None
    applied_at: Instant
    certified_at: Instant | None
    valid_until: Instant | None
    cosign_deadline: Instant | None


class CommunityDecision(Record):
    action: str
    from_state: str
    to_state: str
    motion_id: int | None
    reason: str
    at: Instant


class CommunityDocumentOut(Record):
    sha256: Hex64
    size: int
    at: Instant


class CommunityDetail(CommunityOut):
    cosignatures_given: int
    decisions: list[CommunityDecision]
    documents: list[CommunityDocumentOut]


# --- treasury --------------------------------------------------------------------------------


class LedgerLine(Record):
    id: int
    txn: str
    seq: int
    txn_kind: str
    at: Instant
    account: str
    amount_fen: Fen
    kind: str
    reference: str
    description: str
    reverses: str | None


class BudgetOut(Record):
    id: str
    source: str
    proposal_id: str | None
    motion_id: int | None
    title: str
    amount_fen: Fen
    category: str
    beneficiary: str
    purpose: str
    created_at: Instant
    authorised_at: Instant | None
    ratification_due: Instant | None
    ratified_at: Instant | None
    ratified_by: str | None


class Approval(Record):
    member_id: int
    member: str
    at: Instant


class EvidenceOut(Record):
    sha256: Hex64
    content_type: str
    size: int
    at: Instant


class DisbursementOut(Record):
    id: int
    budget_id: str
    amount_fen: Fen
    category: str
    beneficiary: str
    purpose: str
    created_at: Instant
    state: str
    recorded_at: Instant | None
    txn: str | None
    log_index: int | None
    approvals: list[Approval]
    evidence: list[EvidenceOut]


# --- charter and log -------------------------------------------------------------------------


class CharterVersionOut(Record):
    version: int
    sha256: Hex64
    effective_at: Instant
    adopted_by: str | None
    created_at: Instant
    text: str
    text_zh: str | None


class CharterRulesOut(BaseModel):
    version: int
    sha256: Hex64
    rules: dict[str, Any]


class LogRecord(BaseModel):
    index: int
    type: str
    at: Instant
    subject: str
    sha256: Hex64
    record: dict[str, Any]


# --- owner actions ---------------------------------------------------------------------------


class DraftRequest(BaseModel):
    """A new draft proposal; `fields` are the chosen kind's fields, as on the proposal form."""

    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, Field(max_length=40)]
    title: Annotated[str, Field(max_length=200)]
    body: Annotated[str, Field(max_length=20_000)]
    fields: dict[str, Any] = Field(default_factory=dict)
    options: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list,
                                                                 max_length=50)


class ProposalCosignatures(BaseModel):
    proposal_id: str
    cosignatures: int


class CosignatureOut(BaseModel):
    community_id: int
    cosignatures_given: int


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Concrete page types, named so the document's component names read well.


class ProposalPage(Page[Proposal]):
    pass


class SeatPage(Page[Seat]):
    pass


class MotionPage(Page[MotionOut]):
    pass


class CommunityPage(Page[CommunityOut]):
    pass


class LedgerPage(Page[LedgerLine]):
    pass


class BudgetPage(Page[BudgetOut]):
    pass


class DisbursementPage(Page[DisbursementOut]):
    pass


class CharterPage(Page[CharterVersionOut]):
    pass


class LogPage(Page[LogRecord]):
    pass
