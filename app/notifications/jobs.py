"""Notification jobs (registered with the queue)."""
