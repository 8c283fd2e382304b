package auth

import "net/url"

// Interaction is a FHIR RESTful interaction.
type Interaction string

const (
	Create          Interaction = "create"
	Read            Interaction = "read"
	VRead           Interaction = "vread"
	Update          Interaction = "update"
	Delete          Interaction = "delete"
	HistoryInstance Interaction = "history-instance"
	HistoryType     Interaction = "history-type"
	SearchType      Interaction = "search-type"
)

// auditEventType is never covered by "*": audit records are reachable only
// through scopes that name them.
const auditEventType = "AuditEvent"

// requiredPerm maps an interaction to the SMART permission it needs.
var requiredPerm = map[Interaction]Perm{
	Create:          PermCreate,
	Read:            PermRead,
	VRead:           PermRead,
	HistoryInstance: PermRead,
	Update:          PermUpdate,
	Delete:          PermDelete,
	SearchType:      PermSearch,
	HistoryType:     PermSearch,
}

// Grant is one way a principal may reach resources of a type.
type Grant struct {
	Patient string     // non-empty: confined to this patient's compartment
	Query   url.Values // non-nil: confined to resources matching this query
}

// Decision is the outcome of Principal.Decide.
type Decision struct {
	Allowed      bool
	Unrestricted bool    // some granting scope has neither patient confinement nor query
	Grants       []Grant // union; nil when Unrestricted or not Allowed
}

// Decide says whether the principal may perform in on resourceType, and
// under which confinements. Scopes combine by union.
func (p *Principal) Decide(in Interaction, resourceType string) Decision {
	need, ok := requiredPerm[in]
	if p == nil || !ok || !validResourceType(resourceType) {
		return Decision{}
	}

	var d Decision
	seen := map[string]bool{}
	for _, s := range p.Scopes {
		if s.Perms&need == 0 || !scopeCoversType(s.Type, resourceType) {
			continue
		}
		g := Grant{}
		if len(s.Query) > 0 { // an empty query matches everything
			g.Query = s.Query
		}
		if s.Context == ContextPatient {
			// Without a patient in context a patient/ scope confines to
			// nothing; it must not turn into unrestricted access.
			if p.Patient == "" {
				continue
			}
			g.Patient = p.Patient
		}
		d.Allowed = true
		if g.Patient == "" && g.Query == nil {
			d.Unrestricted = true
			continue
		}
		key := g.Patient + "\x00" + g.Query.Encode()
		if !seen[key] {
			seen[key] = true
			d.Grants = append(d.Grants, g)
		}
	}
	if d.Unrestricted {
		d.Grants = nil // an unrestricted grant absorbs every confined one
	}
	return d
}

// scopeCoversType applies the wildcard rule, which excludes AuditEvent.
func scopeCoversType(scopeType, resourceType string) bool {
	if scopeType == "*" {
		return resourceType != auditEventType
	}
	return scopeType == resourceType
}
