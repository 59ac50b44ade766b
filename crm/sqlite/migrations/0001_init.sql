-- 0001: the initial schema. Times are UTC text in a fixed-width
-- RFC 3339 form ("2006-01-02T15:04:05.000000000Z"), so they sort as text.

CREATE TABLE members (
	id                  INTEGER PRIMARY KEY,
	name                TEXT NOT NULL DEFAULT '',
	-- name_override, when set, is a name a person chose; it wins over the
	-- name computed from the member's identities.
	name_override       TEXT,
	primary_identity_id INTEGER,
	created_at          TEXT NOT NULL
);

CREATE TABLE identities (
	id                 INTEGER PRIMARY KEY,
	member_id          INTEGER REFERENCES members(id) ON DELETE SET NULL,
	platform           TEXT NOT NULL,
	instance           TEXT NOT NULL,
	external_id        TEXT NOT NULL,
	username           TEXT NOT NULL DEFAULT '',
	name               TEXT NOT NULL DEFAULT '',
	url                TEXT NOT NULL DEFAULT '',
	avatar_url         TEXT NOT NULL DEFAULT '',
	emails             TEXT NOT NULL DEFAULT '[]', -- JSON array, sorted, unique
	links              TEXT NOT NULL DEFAULT '[]', -- JSON array, sorted, unique
	followers          INTEGER NOT NULL DEFAULT 0,
	bot                INTEGER NOT NULL DEFAULT 0,
	profile_fetched_at TEXT,                       -- NULL: never fetched
	first_seen_at      TEXT NOT NULL,
	updated_at         TEXT NOT NULL,
	UNIQUE (platform, instance, external_id)
);
CREATE INDEX identities_member ON identities (member_id);
CREATE INDEX identities_username ON identities (platform, lower(username));
CREATE INDEX identities_unassigned ON identities (first_seen_at, id) WHERE member_id IS NULL;

CREATE TABLE activities (
	key         TEXT PRIMARY KEY,
	platform    TEXT NOT NULL,
	instance    TEXT NOT NULL,
	type        TEXT NOT NULL,
	occurred_at TEXT NOT NULL,
	identity_id INTEGER NOT NULL REFERENCES identities(id),
	url         TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL DEFAULT '',
	channel     TEXT NOT NULL DEFAULT '',
	parent_key  TEXT NOT NULL DEFAULT '',
	source      TEXT NOT NULL,
	ingested_at TEXT NOT NULL
);
CREATE INDEX activities_identity ON activities (identity_id, occurred_at);

-- Evidence refs are AccountRef.String() keys ("platform/instance/external_id");
-- they may name accounts that have no identity yet.
CREATE TABLE evidence (
	kind        TEXT NOT NULL,
	a_ref       TEXT NOT NULL,
	b_ref       TEXT NOT NULL,
	source      TEXT NOT NULL,
	observed_at TEXT NOT NULL,
	UNIQUE (a_ref, b_ref, kind)
);
CREATE INDEX evidence_b ON evidence (b_ref);

CREATE TABLE cursors (
	source     TEXT PRIMARY KEY,
	state      BLOB,
	updated_at TEXT NOT NULL
);

CREATE TABLE etags (
	source TEXT NOT NULL,
	url    TEXT NOT NULL,
	etag   TEXT NOT NULL,
	PRIMARY KEY (source, url)
);

CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	member_id   INTEGER,
	identity_id INTEGER,
	detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_member ON audit_log (member_id);
