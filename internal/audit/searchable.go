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

// Index is the server's IndexFunc for AuditEvents, over a registry that
// RestrictSearch limited: the entries of SearchParams, with date and
// _lastUpdated the only sort keys (the trail is read in time order). Whatever
// projects AuditEvents (the recorder, ehrctl, the load tool's ceiling b)
// uses it, so that they all index alike.
func Index(reg *search.Registry) IndexFunc {
	return func(typ string, doc map[string]any) ([]search.IndexEntry, map[string]any, error) {
		entries, sortVals, err := reg.Extract(typ, doc)
		if err != nil {
			return nil, nil, err
		}
		sorts := map[string]any{}
		for _, p := range []string{"date", "_lastUpdated"} {
			if v, ok := sortVals[p]; ok {
				sorts[p] = v
			}
		}
		return entries, sorts, nil
	}
}

// RestrictSearch limits reg's AuditEvent parameters to SearchParams. Every
// registry that indexes or searches AuditEvents must be restricted alike.
func RestrictSearch(reg *search.Registry) {
	reg.Restrict(auditType, func(code string) bool { return slices.Contains(SearchParams, code) },
		"not indexed: AuditEvent is searchable by "+strings.Join(SearchParams, ", "))
}
