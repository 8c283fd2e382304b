-- The first schema: resources and their versions, the search index, sort
-- values, and the audit log.

-- resource holds the current version of every resource. A deletion marker
-- keeps its row (deleted = 1, empty body) so that a later version follows on.
CREATE TABLE resource (
	rowid   INTEGER PRIMARY KEY,
	type    TEXT    NOT NULL,
	id      TEXT    NOT NULL,
	vid     INTEGER NOT NULL,
	updated INTEGER NOT NULL, -- Unix milliseconds
	deleted INTEGER NOT NULL,
	body    BLOB    NOT NULL,
	UNIQUE (type, id)
);
-- Lists a type's live resources in id order (the default paging order) and
-- counts them without touching the bodies.
CREATE INDEX resource_live ON resource (type, deleted, id);

-- history holds every version, the current one included.
CREATE TABLE history (
	type    TEXT    NOT NULL,
	id      TEXT    NOT NULL,
	vid     INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	body    BLOB    NOT NULL,
	PRIMARY KEY (type, id, vid)
);

-- idx holds the index entries of current, live versions. String fields are
-- '' rather than NULL when an entry has no value, so that (eq s "") finds a
-- token without a system as search.IndexEntry's zero value means.
CREATE TABLE idx (
	res INTEGER NOT NULL REFERENCES resource (rowid) ON DELETE CASCADE,
	p   TEXT    NOT NULL,
	s   TEXT    NOT NULL,
	c   TEXT    NOT NULL,
	t   TEXT    NOT NULL,
	lo  REAL,
	hi  REAL,
	u   TEXT    NOT NULL,
	us  TEXT    NOT NULL,
	clo REAL,
	chi REAL,
	cu  TEXT    NOT NULL
);
-- Every search starts from one of these. idx_code serves tokens, strings,
-- uris and references (c = id, s = target type), and a parameter's presence;
-- the range indexes are partial, so that the many entries without numbers
-- cost nothing there (a comparison on lo implies lo IS NOT NULL, which lets
-- SQLite use them).
CREATE INDEX idx_code   ON idx (p, c, s, res);
CREATE INDEX idx_range  ON idx (p, lo, hi, res) WHERE lo IS NOT NULL;
CREATE INDEX idx_crange ON idx (p, clo, chi, res) WHERE clo IS NOT NULL;
CREATE INDEX idx_res    ON idx (res, p); -- a version's entries, to replace them

-- sortkey holds one sort value per sortable parameter of a live version. v has
-- no declared type, so strings stay TEXT and numbers stay REAL.
CREATE TABLE sortkey (
	res INTEGER NOT NULL REFERENCES resource (rowid) ON DELETE CASCADE,
	p   TEXT    NOT NULL,
	v           NOT NULL,
	PRIMARY KEY (res, p)
) WITHOUT ROWID;

-- audit_log is the append-only log: contiguous sequence numbers from 0.
CREATE TABLE audit_log (
	seq  INTEGER PRIMARY KEY,
	rid  TEXT NOT NULL, -- the AuditEvent that holds the record
	hash BLOB NOT NULL  -- RFC 6962 leaf hash
);

-- audit_hash holds the Merkle tree's stored hashes at tlog storage indexes.
CREATE TABLE audit_hash (
	idx  INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
