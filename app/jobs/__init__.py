"""Background work: a job ledger in the trust's database, carried by huey's workers.

huey (PostgresHuey on PostgreSQL, SqliteHuey on the embedded default) moves job ids to workers,
retries with exponential backoff and runs them on as many hosts as point at the same store.
huey deletes a message when a worker takes it, so a worker killed mid-job would lose it; the
ledger here (`jobs` table) is what makes a job survive that: a running job holds a lease that its
worker renews, and any worker re-queues a job whose lease ran out. Every job carries an
idempotency key, so queuing the same work twice, or running it twice after a crash, does it once.
"""
