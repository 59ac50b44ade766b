-- 0006: incremental identity resolution (issue 14, point 5), as SQLite's
-- 0015. identity_keys: the blocking keys each identity is filed under, so
-- that a new identity's candidates are found by key. identity_dirty: the
-- identities added or changed since the resolver last filed their keys,
-- written in the batch's transaction; gen grows with each change.
CREATE TABLE identity_keys (
	hash        BIGINT NOT NULL,
	identity_id BIGINT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
	PRIMARY KEY (hash, identity_id)
);
CREATE INDEX identity_keys_identity ON identity_keys (identity_id);
CREATE TABLE identity_dirty (
	identity_id BIGINT PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
	gen         BIGINT NOT NULL DEFAULT 1
);
INSERT INTO identity_dirty (identity_id) SELECT id FROM identities;
INSERT INTO settings (key, value) VALUES ('resolver_rules', '') ON CONFLICT (key) DO NOTHING;
INSERT INTO settings (key, value) VALUES ('resolver_decision', '0') ON CONFLICT (key) DO NOTHING;
