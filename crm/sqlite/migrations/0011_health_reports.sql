-- 0011: the health reports the level evaluation computes for the default
-- period (crm.DefaultHealthPeriod), one per platform filter ('' for all)
-- and staff choice, as their JSON, so that the dashboard and
-- `rollcall health` read in milliseconds. Replaced by each evaluation.
CREATE TABLE health_reports (
	platform       TEXT NOT NULL,
	staff          INTEGER NOT NULL,
	period_seconds INTEGER NOT NULL,
	body           TEXT NOT NULL,
	PRIMARY KEY (platform, staff, period_seconds)
) WITHOUT ROWID;
