package audit

import (
	"slices"
	"strings"

	"github.com/clinic/ehr/internal/search"
)

// SearchParams are the AuditEvent search parameters the server indexes: what
// compliance officers search the trail by (docs/audit.md). Every request
// writes an AuditEvent, so each parameter more costs every request an index
// row; the R4 parameters left out (site, source, agent-role, entity-name,
// purpose…) are refused by searches instead of finding nothing.
var SearchParams = []string{
	"_id", "_lastUpdated", "action", "address", "agent", "agent-name", "altid", "date",
	"entity", "entity-role", "entity-type", "outcome", "patient", "policy", "subtype", "type",
}

// RestrictSearch limits reg's AuditEvent parameters to SearchParams. Every
// registry that indexes or searches AuditEvents must be restricted alike.
func RestrictSearch(reg *search.Registry) {
	reg.Restrict(auditType, func(code string) bool { return slices.Contains(SearchParams, code) },
		"not indexed: AuditEvent is searchable by "+strings.Join(SearchParams, ", "))
}
