"""Search across proposals, motions, communities, the ledger and the log, in Chinese and English.

One table of documents (`search_documents`) is kept up to date by jobs; the database's own text
index answers queries: PostgreSQL full-text search plus pg_trgm trigram matching (Chinese has no
spaces between words, so substrings, not words, are what match), or SQLite FTS5 with its trigram
tokenizer on the embedded default. `backend.search` is the one interface to both.
"""

# Database objects the migrations make outside the models (virtual tables, expression indexes);
# schema comparisons leave them alone.
UNMANAGED_PREFIXES = ("search_fts", "ix_search_documents_trgm", "ix_search_documents_tsv")


def is_unmanaged(name: str | None) -> bool:
    return bool(name) and str(name).startswith(UNMANAGED_PREFIXES)
