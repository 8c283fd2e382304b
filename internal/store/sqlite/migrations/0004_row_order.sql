-- Pages follow the row order (rowid: creation order, never changing) instead
-- of the id. A search driven by an index lookup then reads its matches in
-- page order and stops after one page, instead of sorting every match by id.
-- An index carries the rowid as its last column, so (type, deleted) lists a
-- type's live resources in page order and counts them without the bodies.
DROP INDEX resource_live;
CREATE INDEX resource_live ON resource (type, deleted);
