"""The decisions layer: what a sealed vote or a closed motion sets in motion, in one place.

votes.py    `close_and_seal(proposal)`: seal, then the consequence for the proposal's kind
motions.py  `close(motion, closer)`: count the motion, then the consequence for its kind
cron.py     the one time-driven entry point: due votes, ended terms, renewals and lapses

Everything that seals a vote or closes a motion goes through here (cron, the CLI, the views,
the demo, the benchmark), so nothing can be decided without its consequences. The domain
services below never import this package.
"""
