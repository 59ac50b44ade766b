-- 0007: what the engagement and sentiment metrics need on each activity.

-- The latest reaction and vote counts seen for the activity on its
-- service's list pages (connectors.Reactions): reactions_total is NULL when
-- the service reports none for this kind of activity; reactions is the
-- JSON object of non-zero counts by kind ('{"+1":2,"heart":1}'), '' when
-- none. Apply replaces both when a later batch carries other counts.
ALTER TABLE activities ADD COLUMN reactions_total INTEGER;
ALTER TABLE activities ADD COLUMN reactions TEXT NOT NULL DEFAULT '';

-- A bounded plain-text excerpt of the post, comment, answer or review
-- (connectors.Activity.Text), '' when none or when privacy.keep_text is
-- false. Forget deletes it with the activity.
ALTER TABLE activities ADD COLUMN text TEXT NOT NULL DEFAULT '';
