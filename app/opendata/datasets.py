"""Every public dataset, with its field dictionary: one definition per dataset.

A dataset is a SELECT whose labelled columns are its fields, and a dictionary that describes
each of them (type, unit, meaning in English and Chinese). `rows()` streams the select in
batches, so the ledger of a large trust is never held in memory; the export tests check that
the dictionary covers every column the select yields. Money is always integer fen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select

from app.accounts.models import User
from app.charter.models import CharterVersion
from app.communities.models import Community
from app.core.extensions import db
from app.council.models import Motion, MotionVoteRecord
from app.proposals.models import Proposal
from app.results.models import SealedResult
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    Evidence,
    LedgerRow,
    TreasuryTxn,
)

# The trust's decision: every open dataset is published under CC BY 4.0, so anyone may reuse
# it, even commercially, as long as the source is named. One licence for all datasets, stated
# the same way on the page, in each dictionary and in each download's Link header.
LICENCE_ID = "CC-BY-4.0"  # its SPDX identifier
LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_URL_ZH = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"
LICENCE_EN = ("Open data under the Creative Commons Attribution 4.0 International licence "
              "(CC BY 4.0): share and adapt it, also commercially, naming the owners' trust as "
              "the source.")
LICENCE_ZH = ("本数据以知识共享署名 4.0 国际许可协议（CC BY 4.0）开放：可自由分享和改编，"
              "包括商业用途，请注明来源为车主信托。")
# The attribution to copy next to any reuse; %(url)s is this site's open-data page.
ATTRIBUTION_EN = "Source: the owners' trust, open data (%(url)s), licensed CC BY 4.0."
ATTRIBUTION_ZH = "来源：车主信托开放数据（%(url)s），采用 CC BY 4.0 许可协议。"


def licence(page_url: str) -> dict[str, object]:
    """The licence as each dictionary states it, in both languages."""
    return {
        "id": LICENCE_ID,
        "name": LICENCE_NAME,
        "url": LICENCE_URL,
        "url_zh": LICENCE_URL_ZH,
        "en": LICENCE_EN,
        "zh": LICENCE_ZH,
        "attribution": {"en": ATTRIBUTION_EN % {"url": page_url},
                        "zh": ATTRIBUTION_ZH % {"url": page_url}},
    }


BATCH = 1000


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # integer, string, boolean, date-time (UTC, ISO 8601 with Z), json
    unit: str  # "fen" for money, "" where none
    en: str
    zh: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title_en: str
    title_zh: str
    fields: tuple[Field, ...]
    query: Callable[[], Select[Any]]


def _f(name: str, type_: str, en: str, zh: str, unit: str = "") -> Field:
    return Field(name, type_, unit, en, zh)


def _time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(value: Any) -> Any:
    """A database value as JSON Lines and CSV carry it: times in UTC with Z, money as int."""
    if isinstance(value, datetime):
        return _time(value)
    return value


def rows(dataset: Dataset) -> Iterator[dict[str, Any]]:
    result = db.session.execute(dataset.query().execution_options(yield_per=BATCH))
    keys = list(result.keys())
    for partition in result.partitions():
        for row in partition:
            yield {k: cell(v) for k, v in zip(keys, row, strict=True)}


def columns(dataset: Dataset) -> list[str]:
    """The names the select yields, read from the select itself (not from the dictionary)."""
    return [c.name for c in dataset.query().selected_columns]


def _member(column: Any) -> Any:
    return select(User.display_name).where(User.id == column).scalar_subquery()


ID_EN, ID_ZH = "identifier", "编号"
AT = ("date-time", "UTC, ISO 8601")

DATASETS: tuple[Dataset, ...] = (
    Dataset("proposals", "Proposals", "提案", (
        _f("id", "string", "proposal identifier (year-number)", "提案编号（年份-序号）"),
        _f("kind", "string", "kind of proposal (charter amendment, budget, election, ...)",
           "提案类别（章程修订、预算、选举等）"),
        _f("title", "string", "title", "标题"),
        _f("state", "string", "lifecycle state (cosigning, voting, closed, ...)",
           "所处阶段（联署、投票、已结束等）"),
        _f("method", "string", "voting method: binary, single or approval",
           "投票方式：是否、单选或认可投票"),
        _f("weight_rule", "string", "how a vote is weighted (growth value rule)",
           "票权计算规则（成长值规则）"),
        _f("eligibility_min", "integer", "least growth value to be on the roll",
           "列入投票名册所需的最低成长值", "growth value points"),
        _f("quorum_num", "integer", "quorum numerator (share of the roll's weight)",
           "法定人数比例的分子（占名册总票权）"),
        _f("quorum_den", "integer", "quorum denominator", "法定人数比例的分母"),
        _f("threshold_num", "integer", "passing threshold numerator", "通过门槛的分子"),
        _f("threshold_den", "integer", "passing threshold denominator", "通过门槛的分母"),
        _f("opens_at", "date-time", "voting opens (UTC)", "投票开始时间（UTC）"),
        _f("closes_at", "date-time", "voting closes (UTC)", "投票截止时间（UTC）"),
        _f("charter_version", "integer", "charter version the vote runs under",
           "投票所依据的章程版本"),
        _f("roll_size", "integer", "owners on the frozen roll", "冻结名册上的车主人数",
           "owners"),
        _f("roll_total_weight", "integer", "total weight on the frozen roll",
           "冻结名册的总票权", "growth value points"),
    ), lambda: select(
        Proposal.id, Proposal.kind, Proposal.title, Proposal.state, Proposal.method,
        Proposal.weight_rule, Proposal.eligibility_min, Proposal.quorum_num,
        Proposal.quorum_den, Proposal.threshold_num, Proposal.threshold_den,
        Proposal.opens_at, Proposal.closes_at, Proposal.charter_version, Proposal.roll_size,
        Proposal.roll_total_weight,
    ).where(Proposal.state != "draft").order_by(Proposal.created_at, Proposal.id)),
    Dataset("results", "Sealed results", "封存的结果", (
        _f("proposal_id", "string", "the proposal voted on", "所投票的提案"),
        _f("digest", "string", "SHA-256 of the signed result statement",
           "签名结果声明的 SHA-256 摘要"),
        _f("supersedes", "string", "digest of the result this one corrects, if any",
           "被本结果更正的原结果摘要（如有）"),
        _f("sealed_at", "date-time", "when the result was sealed (UTC)", "封存时间（UTC）"),
        _f("key_id", "string", "signing key (SHA-256 of the Ed25519 public key)",
           "签名密钥（Ed25519 公钥的 SHA-256）"),
        _f("current", "boolean", "whether this is the result in force",
           "是否为现行有效的结果"),
        _f("result_json", "json", "the signed result statement (tallies, turnout, outcome)",
           "签名的结果声明（计票、投票率、结果）"),
    ), lambda: select(
        SealedResult.proposal_id, SealedResult.digest, SealedResult.supersedes,
        SealedResult.sealed_at, SealedResult.key_id, SealedResult.current,
        SealedResult.result_json,
    ).order_by(SealedResult.id)),
    Dataset("motions", "Council motions", "理事会动议", (
        _f("id", "integer", "motion number", "动议编号"),
        _f("kind", "string", "kind of motion", "动议类别"),
        _f("subject", "string", "what the motion is about (kind:id)", "动议事项（类别:编号）"),
        _f("title", "string", "title", "标题"),
        _f("opened_by", "string", "member who opened it", "提出动议的理事"),
        _f("opened_at", "date-time", "opened (UTC)", "提出时间（UTC）"),
        _f("closes_at", "date-time", "voting deadline (UTC)", "表决截止时间（UTC）"),
        _f("state", "string", "open, passed, failed, ...", "状态：进行中、通过、未通过等"),
        _f("closed_at", "date-time", "closed (UTC)", "结束时间（UTC）"),
        _f("outcome_json", "json", "the counted outcome", "计票结果"),
        _f("referred_to", "string", "owners' vote the motion was referred to, if any",
           "动议被提交的车主投票（如有）"),
    ), lambda: select(
        Motion.id, Motion.kind, Motion.subject, Motion.title,
        _member(Motion.opened_by).label("opened_by"), Motion.opened_at, Motion.closes_at,
        Motion.state, Motion.closed_at, Motion.outcome_json, Motion.referred_to,
    ).order_by(Motion.id)),
    Dataset("roll_calls", "Roll calls of council motions", "理事会动议的记名表决", (
        _f("motion_id", "integer", "motion number", "动议编号"),
        _f("member", "string", "council member", "理事"),
        _f("choice", "string", "yes, no or abstain", "赞成、反对或弃权"),
        _f("at", "date-time", "when the vote was cast (UTC)", "表决时间（UTC）"),
    ), lambda: select(
        MotionVoteRecord.motion_id, _member(MotionVoteRecord.member_id).label("member"),
        MotionVoteRecord.choice, MotionVoteRecord.at,
    ).order_by(MotionVoteRecord.motion_id, MotionVoteRecord.id)),
    Dataset("communities", "Communities and their applications", "社群及其申请", (
        _f("id", "integer", "community number", "社群编号"),
        _f("name", "string", "name", "名称"),
        _f("industry", "string", "industry", "行业"),
        _f("member_count", "integer", "members stated in the application",
           "申请中填报的成员人数", "people"),
        _f("state", "string", "applied, under review, certified, ...",
           "状态：已申请、审核中、已认证等"),
        _f("applied_at", "date-time", "application filed (UTC)", "申请时间（UTC）"),
        _f("certified_at", "date-time", "certified (UTC)", "认证时间（UTC）"),
        _f("valid_until", "date-time", "certification valid until (UTC)",
           "认证有效期至（UTC）"),
    ), lambda: select(
        Community.id, Community.name, Community.industry, Community.member_count,
        Community.state, Community.applied_at, Community.certified_at, Community.valid_until,
    ).order_by(Community.id)),
    Dataset("ledger", "Treasury ledger", "资金账本", (
        _f("seq", "integer", "transaction sequence number", "交易序号"),
        _f("txn", "string", "transaction identifier", "交易编号"),
        _f("at", "date-time", "when the transaction was written (UTC)", "记账时间（UTC）"),
        _f("txn_kind", "string", "kind of transaction (income, disbursement, reversal)",
           "交易类别（收入、支出、冲正）"),
        _f("account", "string", "ledger account", "账户"),
        _f("amount_fen", "integer", "amount posted; each transaction sums to zero",
           "记账金额；每笔交易合计为零", "fen"),
        _f("kind", "string", "kind of posting", "分录类别"),
        _f("reference", "string", "reference (budget, disbursement)", "关联（预算、支出）"),
    ), lambda: select(
        TreasuryTxn.seq, LedgerRow.txn, TreasuryTxn.at,
        TreasuryTxn.kind.label("txn_kind"), LedgerRow.account, LedgerRow.amount_fen,
        LedgerRow.kind, LedgerRow.reference,
    ).join(TreasuryTxn, TreasuryTxn.id == LedgerRow.txn).order_by(TreasuryTxn.seq, LedgerRow.id)),
    Dataset("budgets", "Budgets", "预算", (
        _f("id", "string", "budget identifier", "预算编号"),
        _f("source", "string", "authorised by an owners' vote or a council motion",
           "授权来源：车主投票或理事会动议"),
        _f("proposal_id", "string", "authorising proposal", "授权提案"),
        _f("motion_id", "integer", "authorising motion", "授权动议"),
        _f("title", "string", "title", "标题"),
        _f("amount_fen", "integer", "amount authorised", "授权金额", "fen"),
        _f("category", "string", "spending category", "支出类别"),
        _f("beneficiary", "string", "beneficiary", "受益方"),
        _f("purpose", "string", "purpose", "用途"),
        _f("authorised_at", "date-time", "authorised (UTC)", "授权时间（UTC）"),
        _f("ratified_at", "date-time", "ratified by the owners (UTC)", "车主追认时间（UTC）"),
    ), lambda: select(
        Budget.id, Budget.source, Budget.proposal_id, Budget.motion_id, Budget.title,
        Budget.amount_fen, Budget.category, Budget.beneficiary, Budget.purpose,
        Budget.authorised_at, Budget.ratified_at,
    ).order_by(Budget.created_at, Budget.id)),
    Dataset("disbursements", "Disbursements", "支出", (
        _f("id", "integer", "disbursement number", "支出编号"),
        _f("budget_id", "string", "budget it is paid from", "所属预算"),
        _f("amount_fen", "integer", "amount", "金额", "fen"),
        _f("category", "string", "spending category", "支出类别"),
        _f("beneficiary", "string", "beneficiary", "受益方"),
        _f("purpose", "string", "purpose", "用途"),
        _f("created_at", "date-time", "submitted (UTC)", "提交时间（UTC）"),
        _f("state", "string", "pending or recorded", "状态：待批准或已入账"),
        _f("recorded_at", "date-time", "recorded in the ledger (UTC)", "入账时间（UTC）"),
        _f("txn", "string", "ledger transaction", "账本交易编号"),
        _f("log_index", "integer", "index of its record in the transparency log",
           "在透明日志中的记录序号"),
        _f("approvals", "integer", "council approvals given", "已获理事批准数", "approvals"),
        _f("evidence_sha256", "string", "SHA-256 of each evidence file, separated by spaces",
           "各证明文件的 SHA-256，以空格分隔"),
    ), lambda: select(
        Disbursement.id, Disbursement.budget_id, Disbursement.amount_fen,
        Disbursement.category, Disbursement.beneficiary, Disbursement.purpose,
        Disbursement.created_at, Disbursement.state, Disbursement.recorded_at,
        Disbursement.txn, Disbursement.log_index,
        select(func.count()).where(DisbursementApproval.disbursement_id == Disbursement.id)
        .scalar_subquery().label("approvals"),
        select(func.coalesce(_aggregate_hashes(), "")).where(
            Evidence.disbursement_id == Disbursement.id
        ).scalar_subquery().label("evidence_sha256"),
    ).order_by(Disbursement.id)),
    Dataset("disbursement_approvals", "Approvals of disbursements", "支出的批准记录", (
        _f("disbursement_id", "integer", "disbursement number", "支出编号"),
        _f("member", "string", "council member who approved", "批准的理事"),
        _f("at", "date-time", "approved (UTC)", "批准时间（UTC）"),
    ), lambda: select(
        DisbursementApproval.disbursement_id,
        _member(DisbursementApproval.member_id).label("member"), DisbursementApproval.at,
    ).order_by(DisbursementApproval.disbursement_id, DisbursementApproval.id)),
    Dataset("charter_versions", "Charter versions", "章程版本", (
        _f("version", "integer", "version number", "版本号"),
        _f("sha256", "string", "SHA-256 of the version's text and rules",
           "该版本文本与规则的 SHA-256"),
        _f("effective_at", "date-time", "in force from (UTC)", "生效时间（UTC）"),
        _f("adopted_by", "string", "proposal that adopted it (empty for the first)",
           "通过该版本的提案（首版为空）"),
        _f("text", "string", "the charter's text in English", "章程英文文本"),
        _f("text_zh", "string", "the charter's text in Chinese", "章程中文文本"),
        _f("rules_json", "json", "the machine-readable rules", "机器可读的规则"),
    ), lambda: select(
        CharterVersion.version, CharterVersion.sha256, CharterVersion.effective_at,
        CharterVersion.adopted_by, CharterVersion.text, CharterVersion.text_zh,
        CharterVersion.rules_json,
    ).order_by(CharterVersion.version)),
)
BY_NAME = {d.name: d for d in DATASETS}


def _aggregate_hashes() -> Any:
    """Evidence hashes of one disbursement in one cell, the same text on both databases."""
    if db.engine.dialect.name == "postgresql":
        return func.string_agg(Evidence.sha256, " ")
    return func.group_concat(Evidence.sha256, " ")
