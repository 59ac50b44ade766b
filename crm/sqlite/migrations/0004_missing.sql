-- Objects whose per-object lookup answered 404 or 410, per source: not
-- asked again before until. Replaced whole with each batch's cursor, like
-- etags. Keys name the object ("issue:owner/repo#12", "user:583231").
CREATE TABLE missing (
	source TEXT NOT NULL,
	key    TEXT NOT NULL,
	until  TEXT NOT NULL,
	PRIMARY KEY (source, key)
);
