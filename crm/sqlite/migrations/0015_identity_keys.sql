-- Incremental identity resolution (issue 14, point 5).
-- identity_keys: the blocking keys each identity is filed under (hashes the
-- resolver computes), so that a new identity's candidates are found by key,
-- not by reading every identity.
CREATE TABLE identity_keys (
	hash        INTEGER NOT NULL,
	identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
	PRIMARY KEY (hash, identity_id)
) WITHOUT ROWID;
CREATE INDEX identity_keys_identity ON identity_keys (identity_id);
-- identity_dirty: identities added or changed (or with new evidence) since
-- the resolver last filed their keys, written in the batch's transaction;
-- gen grows with each change so that a change made while the resolver runs
-- stays marked.
CREATE TABLE identity_dirty (
	identity_id INTEGER PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
	gen         INTEGER NOT NULL DEFAULT 1
);
-- Every identity already stored waits for the first full resolve, which
-- files the keys of all (the rules version is not yet recorded).
INSERT INTO identity_dirty (identity_id) SELECT id FROM identities;
INSERT INTO settings (key, value) VALUES ('resolver_rules', '') ON CONFLICT (key) DO NOTHING;
INSERT INTO settings (key, value) VALUES ('resolver_decision', '0') ON CONFLICT (key) DO NOTHING;
