-- 0003: the row EvaluateLevels locks (SELECT ... FOR UPDATE) so that one
-- evaluation at a time, across every replica, reads the stored levels and
-- writes their changes and webhook events: a second evaluation waits, then
-- sees the first one's levels and writes no event twice. Not data: rollcall
-- migrate leaves this table out.
CREATE TABLE levels_lock (id BIGINT PRIMARY KEY CHECK (id = 1));
INSERT INTO levels_lock (id) VALUES (1);
