-- 0003: people's decisions. Account refs are AccountRef.String() keys
-- ("platform/instance/external_id").

-- A person's chosen primary identity (an identity id); like name_override
-- it wins over the computed choice while the identity is in the member.
ALTER TABLE members ADD COLUMN primary_override INTEGER;

-- Manual verdicts about two accounts; later syncs never undo them.
CREATE TABLE decisions (
	id     INTEGER PRIMARY KEY,
	kind   TEXT NOT NULL,          -- 'merge' or 'separate'
	a_ref  TEXT NOT NULL,
	b_ref  TEXT NOT NULL,
	actor  TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	at     TEXT NOT NULL
);
CREATE INDEX decisions_a ON decisions (a_ref);
CREATE INDEX decisions_b ON decisions (b_ref);

-- Possible merges for a person to decide; a_ref < b_ref.
CREATE TABLE suggestions (
	id         INTEGER PRIMARY KEY,
	a_ref      TEXT NOT NULL,
	b_ref      TEXT NOT NULL,
	confidence REAL NOT NULL DEFAULT 0,
	reasons    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	status     TEXT NOT NULL DEFAULT 'open',
	created    TEXT NOT NULL,
	decided_at TEXT,
	decided_by TEXT,
	UNIQUE (a_ref, b_ref)
);
CREATE INDEX suggestions_b ON suggestions (b_ref);

-- Store-wide values: the tombstone salt (created by Open with crypto/rand)
-- and decisions_version.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
INSERT INTO settings (key, value) VALUES ('decisions_version', '0');

-- Forgotten accounts: hex(sha256(salt || account key)), nothing else.
CREATE TABLE tombstones (
	hash TEXT PRIMARY KEY,
	at   TEXT NOT NULL
);
