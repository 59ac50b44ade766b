-- 0006: indexes the read model of 0005 needed at 1,000,000 activities.

-- The activity type filter reads the identities with a type from the type
-- when they are few (2,000 or fewer), and probes per member when many;
-- milestones by type read it too. It replaces 0005's
-- (identity_id, type, occurred_at), which could not answer the first.
DROP INDEX activities_identity_type;
CREATE INDEX activities_type ON activities (type, identity_id, occurred_at);

-- Searches shorter than a trigram match the start of a member name or of
-- a username (ASCII case folded), from these.
CREATE INDEX members_name_prefix ON members (lower(name)) WHERE identity_count > 0;
CREATE INDEX identities_username_prefix ON identities (lower(username)) WHERE member_id IS NOT NULL;
