"""The owners' trust cryptographic and counting core."""
