-- The audit log keeps each record's AuditEvent body, so that a record is
-- durable in the log alone; the AuditEvent resource and its index entries
-- are a projection written after it. Older entries have no body: their
-- AuditEvents were written in the same transaction.
ALTER TABLE audit_log ADD COLUMN body BLOB;
