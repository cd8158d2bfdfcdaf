"""The owners' trust cryptographic and counting core: pure functions, no web, no database.

Public contract and the choices made within it: docs/verification.md.
"""

from ballots.canonical import (
    MAX_SAFE_INT,
    CanonicalError,
    canonical_bytes,
    canonical_sha256,
    sha256_hex,
    strict_loads,
)
from ballots.keys import (
    KeyFileError,
    KeyRing,
    PublicKey,
    SignatureError,
    SigningKey,
    keys_document,
    verify_object,
)
from ballots.log import (
    build_checkpoint,
    consistency_proof_object,
    inclusion_proof_object,
    log_leaf,
)
from ballots.merkle import (
    EMPTY_ROOT,
    MerkleStream,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from ballots.receipts import (
    ReceiptCheck,
    ReceiptError,
    build_receipt,
    new_nonce,
    receipt_hash,
    verify_receipt,
)
from ballots.records import (
    ballot_record,
    format_time,
    jsonl_line,
    parse_time,
    roll_record,
    voter_token,
)
from ballots.result import build_result, result_digest
from ballots.roll import Roll, RollError
from ballots.seal import AcceptedBallot, SealedBundle, seal
from ballots.tally import (
    Outcome,
    SelectionError,
    SpecError,
    Tally,
    TallyError,
    VoteSpec,
    compute_outcome,
    validate_selection,
)
from ballots.verifier import VerifyFailure, VerifyReport, verify_bundle
from ballots.weights import WeightRule, parse_weight_rule

__all__ = [
    "EMPTY_ROOT",
    "MAX_SAFE_INT",
    "AcceptedBallot",
    "CanonicalError",
    "KeyFileError",
    "KeyRing",
    "MerkleStream",
    "MerkleTree",
    "Outcome",
    "PublicKey",
    "ReceiptCheck",
    "ReceiptError",
    "Roll",
    "RollError",
    "SealedBundle",
    "SelectionError",
    "SignatureError",
    "SigningKey",
    "SpecError",
    "Tally",
    "TallyError",
    "VerifyFailure",
    "VerifyReport",
    "VoteSpec",
    "WeightRule",
    "ballot_record",
    "build_checkpoint",
    "build_receipt",
    "build_result",
    "canonical_bytes",
    "canonical_sha256",
    "compute_outcome",
    "consistency_proof_object",
    "format_time",
    "inclusion_proof_object",
    "jsonl_line",
    "keys_document",
    "leaf_hash",
    "log_leaf",
    "new_nonce",
    "node_hash",
    "parse_time",
    "parse_weight_rule",
    "receipt_hash",
    "result_digest",
    "roll_record",
    "root_from_leaf_hashes",
    "seal",
    "sha256_hex",
    "strict_loads",
    "validate_selection",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
    "verify_object",
    "verify_receipt",
    "voter_token",
]
