-- idx becomes a WITHOUT ROWID table clustered by (res, p, n): a version's
-- entries are stored together, in the order the old idx_res index kept, so
-- that index and the rowid table merge into one B-tree. Each entry then costs
-- two B-tree inserts (the table and idx_code) instead of three. n numbers a
-- version's entries.
CREATE TABLE idx2 (
	res INTEGER NOT NULL,
	p   TEXT    NOT NULL,
	n   INTEGER NOT NULL,
	s   TEXT    NOT NULL,
	c   TEXT    NOT NULL,
	t   TEXT    NOT NULL,
	lo  REAL,
	hi  REAL,
	u   TEXT    NOT NULL,
	us  TEXT    NOT NULL,
	clo REAL,
	chi REAL,
	cu  TEXT    NOT NULL,
	PRIMARY KEY (res, p, n)
) WITHOUT ROWID;
INSERT INTO idx2 (res, p, n, s, c, t, lo, hi, u, us, clo, chi, cu)
	SELECT res, p, rowid, s, c, t, lo, hi, u, us, clo, chi, cu FROM idx;
DROP TABLE idx;
ALTER TABLE idx2 RENAME TO idx;
CREATE INDEX idx_code   ON idx (p, c, s, res);
CREATE INDEX idx_range  ON idx (p, lo, hi, res) WHERE lo IS NOT NULL;
CREATE INDEX idx_crange ON idx (p, clo, chi, res) WHERE clo IS NOT NULL;
CREATE INDEX idx_cq     ON idx (p, c, s, cu, chi, clo, res) WHERE chi IS NOT NULL;
