"""Owners' industry communities: applications and their certification by council motion."""
