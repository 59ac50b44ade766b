-- 0013: the activities of a period (health for any --period, the rising
-- list) are read from the time index alone: it carries every column those
-- reads take except titles and URLs (read afterwards for the few top
-- threads), so that a year's activities are one sequential index scan
-- instead of a table lookup per activity. Replaces 0009's index on
-- occurred_at alone, under the same name.
DROP INDEX activities_time;
CREATE INDEX activities_time ON activities (occurred_at, platform, identity_id, type, channel, parent_key, key, reactions_total, sentiment);
