"""Notifications: in the app (bell, page) and by email, per kind and channel, with digests."""
