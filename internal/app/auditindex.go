package app

import (
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/search"
)

// AuditIndex is the index function the server gives the audit recorder: the
// AuditEvent parameters compliance officers search by, date the only sort
// key. Exported for whatever else projects AuditEvents and must do it as the
// server does: ehrctl audit accounting (after an abrupt stop) and the load
// tool's ceiling b.
func AuditIndex(reg *search.Registry) audit.IndexFunc { return auditIndex(reg) }
