-- 0007: the row that keeps Forget and Apply apart. Apply locks it FOR KEY
-- SHARE first (applies do not wait for each other), Forget FOR UPDATE
-- first: a batch applied while a member is being forgotten either ends
-- before the forget reads the member's identities (and its rows are
-- deleted with them) or starts after the forget commits (and sees the
-- tombstones). Without it, an apply that had found no tombstone before
-- the forget committed stored the forgotten account again, with a new
-- identity. Not data: rollcall migrate leaves this table out.
CREATE TABLE forget_lock (id BIGINT PRIMARY KEY CHECK (id = 1));
INSERT INTO forget_lock (id) VALUES (1);
