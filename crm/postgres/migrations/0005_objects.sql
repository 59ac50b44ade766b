-- 0005: each source's per-object memory (connectors.ObjectState), as
-- SQLite's migration 0014: what a connector remembers about one object
-- between batches, so that its cursor holds only watermarks. Written by
-- Apply from Batch.Objects in the batch's transaction; value is JSON. Keys
-- are COLLATE "C": connectors scan them in Go's byte order.
CREATE TABLE objects (
	source TEXT COLLATE "C" NOT NULL,
	key    TEXT COLLATE "C" NOT NULL,
	value  TEXT NOT NULL,
	PRIMARY KEY (source, key)
);
