-- 0005: the read model of issue 10. Per-identity and per-member activity
-- stats kept up to date by every write (never recounted), indexes for the
-- member list sorts (keyset pagination), the filters, the timeline, the
-- chart and the milestones, a trigram full-text index for member search,
-- and a record of each time an identity entered a member (join reasons).

-- Kept by Apply: how many activities the identity did, first and last.
ALTER TABLE identities ADD COLUMN activity_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN first_activity_at TEXT;
ALTER TABLE identities ADD COLUMN last_activity_at TEXT;
UPDATE identities SET (activity_count, first_activity_at, last_activity_at) =
	(SELECT COUNT(*), MIN(a.occurred_at), MAX(a.occurred_at) FROM activities a WHERE a.identity_id = identities.id);

-- Kept by every change of a member's identities or their activities, from
-- the identities' stats: first_seen and last_seen fall back to when its
-- identities were first seen when it has no activity; '' without identities.
ALTER TABLE members ADD COLUMN identity_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN activity_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN first_seen TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN last_seen TEXT NOT NULL DEFAULT '';
UPDATE members SET (identity_count, activity_count, first_seen, last_seen) =
	(SELECT COUNT(*), COALESCE(SUM(i.activity_count), 0),
		COALESCE(MIN(i.first_activity_at), MIN(i.first_seen_at), ''),
		COALESCE(MAX(i.last_activity_at), MAX(i.first_seen_at), '')
	FROM identities i WHERE i.member_id = members.id);

-- The three sorts of the member list, for keyset pagination.
CREATE INDEX members_active ON members (activity_count DESC, id) WHERE identity_count > 0;
CREATE INDEX members_newest ON members (first_seen, id) WHERE identity_count > 0;
CREATE INDEX members_last_seen ON members (last_seen, id) WHERE identity_count > 0;

-- The platform filter; replaces identities_member.
CREATE INDEX identities_member_platform ON identities (member_id, platform);
DROP INDEX identities_member;

-- Timeline (keyset on occurred_at, key) and chart; replaces
-- activities_identity. Activity type filter and milestones by type.
CREATE INDEX activities_identity_time ON activities (identity_id, occurred_at, key, platform);
DROP INDEX activities_identity;
CREATE INDEX activities_identity_type ON activities (identity_id, type, occurred_at);
-- Replies and acceptances, found from the activity they answer.
CREATE INDEX activities_parent ON activities (parent_key, type) WHERE parent_key <> '';

-- Member search: one row per member with identities (rowid = member id),
-- its name and each identity's username, name and e-mail addresses, one a
-- line. The trigram tokenizer matches substrings of 3 characters or more,
-- case-insensitively.
CREATE VIRTUAL TABLE member_search USING fts5(text, tokenize = 'trigram');
INSERT INTO member_search (rowid, text)
SELECT m.id, m.name || ifnull((SELECT group_concat(char(10) || i.username || char(10) || i.name ||
		ifnull((SELECT char(10) || group_concat(e.value, char(10)) FROM json_each(i.emails) e), ''), '')
	FROM identities i WHERE i.member_id = m.id), '')
FROM members m WHERE m.identity_count > 0;

-- Each time an identity entered a member (assigned, merged, split out),
-- with the audit_log row that says why: JoinReasons reads it.
CREATE TABLE identity_joins (
	id          INTEGER PRIMARY KEY,
	identity_id INTEGER NOT NULL,
	member_id   INTEGER NOT NULL,
	audit_id    INTEGER NOT NULL
);
CREATE INDEX identity_joins_identity ON identity_joins (identity_id, id);
INSERT INTO identity_joins (identity_id, member_id, audit_id)
SELECT identity_id, member_id, audit_id FROM (
	SELECT l.identity_id, l.member_id, l.id AS audit_id FROM audit_log l
	WHERE l.action = 'assign' AND l.identity_id IS NOT NULL AND l.member_id IS NOT NULL
	UNION ALL
	SELECT l.identity_id, json_extract(l.detail, '$.new_member'), l.id FROM audit_log l
	WHERE l.action = 'unmerge' AND l.identity_id IS NOT NULL AND json_extract(l.detail, '$.new_member') IS NOT NULL
	UNION ALL
	SELECT i.id, l.member_id, l.id FROM audit_log l, json_each(l.detail, '$.accounts') j
	JOIN identities i ON i.platform = substr(j.value, 1, instr(j.value, '/') - 1)
		AND i.instance = substr(substr(j.value, instr(j.value, '/') + 1), 1, instr(substr(j.value, instr(j.value, '/') + 1), '/') - 1)
		AND i.external_id = substr(substr(j.value, instr(j.value, '/') + 1), instr(substr(j.value, instr(j.value, '/') + 1), '/') + 1)
	WHERE l.action = 'merge' AND l.member_id IS NOT NULL
) ORDER BY audit_id;
