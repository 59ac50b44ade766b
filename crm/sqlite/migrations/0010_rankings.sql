-- 0010: the rankings the level evaluation computes (crm.Rankings): the
-- first crm.RankDepth places of each champions list variant, so that a
-- list reads in milliseconds. Replaced whole by each evaluation; when it
-- was computed is score_meta's levels_evaluated_at.
CREATE TABLE champion_ranks (
	kind      TEXT NOT NULL,    -- champions, rising or slipping
	platform  TEXT NOT NULL,    -- '' for all platforms
	staff     INTEGER NOT NULL, -- 1: staff and bots included
	rank      INTEGER NOT NULL,
	member_id INTEGER NOT NULL,
	helped    INTEGER NOT NULL,
	connects  INTEGER NOT NULL,
	contacts  INTEGER NOT NULL,
	gain      REAL NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, platform, staff, rank)
) WITHOUT ROWID;
