"""Secret ballots that stay verifiable (format 2): ristretto255 ElGamal, proofs, trustees.

Public contract: docs/verification.md, "Format 2".
"""
