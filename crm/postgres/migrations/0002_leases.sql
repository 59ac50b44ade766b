-- 0002: which replica of the daemon fetches each source (crm.Lease), as
-- SQLite's migration 0012, with the database's clock: expires_at and
-- acquired_at are the server's now() (one clock for every replica, so
-- replicas on machines whose clocks differ agree on expiry). Not data:
-- rollcall migrate leaves this table out.
CREATE TABLE leases (
	source      TEXT PRIMARY KEY,
	holder      TEXT NOT NULL,
	token       BIGINT NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	acquired_at TIMESTAMPTZ NOT NULL
);
