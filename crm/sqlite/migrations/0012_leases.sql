-- 0012: which replica of the daemon fetches each source (crm.Lease): the
-- holder renews expires_at before it passes; another replica may take a
-- lease that has expired, with token + 1. Every fenced batch checks the
-- holder and token in its transaction. The row of crm.ResolverLease
-- ('@resolver') is held while a replica resolves identities.
CREATE TABLE leases (
	source      TEXT PRIMARY KEY,
	holder      TEXT NOT NULL,
	token       INTEGER NOT NULL,
	expires_at  TEXT NOT NULL,
	acquired_at TEXT NOT NULL
);
