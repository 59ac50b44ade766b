-- 0009: what champions, levels, reach, health and the webhook need
-- (issue 11). Everything here is kept by the writes that change it (Apply,
-- forget, the level evaluation), never recounted from all activities,
-- except once below and whenever the configured decay changes (see
-- score_meta).

-- VADER compound score (-1..1) of the activity's text excerpt, computed
-- when the activity is stored (also when privacy.keep_text is false and
-- the text itself is not kept); NULL when the activity has no text.
ALTER TABLE activities ADD COLUMN sentiment REAL;

-- Health reads the activities of a period by time.
CREATE INDEX activities_time ON activities (occurred_at);

-- Stack Exchange reputation of the account (0 elsewhere): clout outside
-- the community, never mixed into scores.
ALTER TABLE identities ADD COLUMN reputation INTEGER NOT NULL DEFAULT 0;

-- Per identity, what scoring needs, updated by Apply for each new activity
-- of the identity (work proportional to the batch):
--   tallies: JSON object activity type -> [count, base], where base is
--     the sum over those activities of decay^(-(occurred_at - 2020-01-01)
--     / month), month = 30.436875 days; the decayed count at time T is
--     base * decay^((T - 2020-01-01) / month) (see crm.Tally);
--   channels: JSON array of the distinct channels (sorted, at most 32);
--   weeks, weeks_at: bit i of weeks is set when the identity was active in
--     week weeks_at - i (weeks are numbered from Monday 1970-01-05 UTC);
--   months, months_at: the same for calendar months (year * 12 + month - 1).
CREATE TABLE identity_scores (
	identity_id INTEGER PRIMARY KEY,
	tallies     TEXT NOT NULL DEFAULT '{}',
	channels    TEXT NOT NULL DEFAULT '[]',
	weeks       INTEGER NOT NULL DEFAULT 0,
	weeks_at    INTEGER NOT NULL DEFAULT 0,
	months      INTEGER NOT NULL DEFAULT 0,
	months_at   INTEGER NOT NULL DEFAULT 0
);

-- The decay the tallies' bases were computed with; a different configured
-- decay rebuilds identity_scores from the activities once.
CREATE TABLE score_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Who answered whom: one row per ordered pair of identities, from replies,
-- answers, reviews, merges and mentions that answer another identity's
-- activity (crm.Interacts). from_identity helped to_identity n times, the
-- last at last_at. Apply adds an edge when the reply is stored after its
-- parent, or when the parent is stored after its replies.
CREATE TABLE interactions (
	from_identity INTEGER NOT NULL,
	to_identity   INTEGER NOT NULL,
	n             INTEGER NOT NULL,
	last_at       TEXT NOT NULL,
	PRIMARY KEY (from_identity, to_identity)
) WITHOUT ROWID;
CREATE INDEX interactions_to ON interactions (to_identity);

-- Each member's level (1 core .. 4 observer) as the evaluation last left
-- it, with hysteresis: below_since is when the member's measured level
-- first fell below level (the grace period running), NULL otherwise.
-- champion and slipping are what the last evaluation found, so that a
-- webhook event fires once on entering.
CREATE TABLE member_levels (
	member_id    INTEGER PRIMARY KEY,
	level        INTEGER NOT NULL,
	since        TEXT NOT NULL,
	below_since  TEXT,
	champion     INTEGER NOT NULL DEFAULT 0,
	slipping     INTEGER NOT NULL DEFAULT 0,
	evaluated_at TEXT NOT NULL
);

-- Every level change, so that a journey shows when someone became a
-- contributor. previous is NULL for a member's first level.
CREATE TABLE level_history (
	id        INTEGER PRIMARY KEY,
	member_id INTEGER NOT NULL,
	at        TEXT NOT NULL,
	level     INTEGER NOT NULL,
	previous  INTEGER
);
CREATE INDEX level_history_member ON level_history (member_id, at);

-- Outbound webhook events, written in the same transaction as the change
-- that causes them and delivered from here (see the webhook section of
-- the README). delivered_at is set once the receiver answered 2xx; failed
-- once the attempts are spent.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	event           TEXT NOT NULL,
	member_id       INTEGER,
	body            TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	delivered_at    TEXT,
	failed          INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed = 0;
