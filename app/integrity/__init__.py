"""Whole-system re-verification (`flask trust audit`); the list of checks is in run.py."""
