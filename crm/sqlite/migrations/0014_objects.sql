-- 0014: each source's per-object memory (connectors.ObjectState): what a
-- connector remembers about one object between batches (an issue's id and
-- kind, a pull request whose reviews are to read, a queued profile read),
-- so that its cursor holds only watermarks. Written by Apply from
-- Batch.Objects in the batch's transaction; value is JSON.
CREATE TABLE objects (
	source TEXT NOT NULL,
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,
	PRIMARY KEY (source, key)
);
