package app

import (
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/search"
)

// AuditIndex is the index function the server gives the audit recorder: the
// AuditEvent parameters compliance officers search by, date the only sort
// key. Exported for the load tool's ceiling b, which projects AuditEvents
// exactly as the server does.
func AuditIndex(reg *search.Registry) audit.IndexFunc { return auditIndex(reg) }
