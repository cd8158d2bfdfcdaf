"""The trust's rules as plain Python: no Flask, no database, no IO.

``charter`` parses and checks the machine-readable charter; ``proposals`` and ``communities`` are
explicit state machines; ``council`` handles seats, terms and motions; ``treasury`` enforces the
charter's spending rules and models the append-only double-entry ledger. The app's services load
facts from the database, ask these functions, and store what they return.
"""
