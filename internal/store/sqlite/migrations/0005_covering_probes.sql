-- A conjunction probes its other conditions row by row through (res, p).
-- With the range columns in that index, a date or number probe
-- ("e.res = r.rowid AND e.p = 'date' AND e.hi >= ?") is answered from the
-- index alone instead of reading each idx row: patient + date range reads
-- one index page per match instead of a table page per entry.
DROP INDEX idx_res;
CREATE INDEX idx_res ON idx (res, p, lo, hi);
