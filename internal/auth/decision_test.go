package auth

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func principalWith(patient string, scopes ...string) *Principal {
	return &Principal{Patient: patient, Scopes: ParseScopes(strings.Join(scopes, " "))}
}

func TestDecide(t *testing.T) {
	vitals := url.Values{"category": {"vital-signs"}}
	labs := url.Values{"category": {"laboratory"}}
	deny := Decision{}
	open := Decision{Allowed: true, Unrestricted: true}
	confined := func(gs ...Grant) Decision { return Decision{Allowed: true, Grants: gs} }

	tests := []struct {
		name string
		p    *Principal
		in   Interaction
		typ  string
		want Decision
	}{
		// Interaction to permission mapping.
		{"read needs r", principalWith("", "user/Observation.r"), Read, "Observation", open},
		{"vread needs r", principalWith("", "user/Observation.r"), VRead, "Observation", open},
		{"instance history needs r", principalWith("", "user/Observation.r"), HistoryInstance, "Observation", open},
		{"search needs s", principalWith("", "user/Observation.r"), SearchType, "Observation", deny},
		{"search with s", principalWith("", "user/Observation.s"), SearchType, "Observation", open},
		{"type history needs s", principalWith("", "user/Observation.s"), HistoryType, "Observation", open},
		{"read without r", principalWith("", "user/Observation.s"), Read, "Observation", deny},
		{"create needs c", principalWith("", "user/Observation.rus"), Create, "Observation", deny},
		{"create with c", principalWith("", "user/Observation.c"), Create, "Observation", open},
		{"update needs u", principalWith("", "user/Observation.u"), Update, "Observation", open},
		{"delete needs d", principalWith("", "user/Observation.cru"), Delete, "Observation", deny},
		{"delete with d", principalWith("", "user/Observation.d"), Delete, "Observation", open},
		{"unknown interaction", principalWith("", "user/*.cruds"), "patch", "Observation", deny},

		// SMART 1 forms.
		{"v1 read allows search", principalWith("", "user/Observation.read"), SearchType, "Observation", open},
		{"v1 read refuses update", principalWith("", "user/Observation.read"), Update, "Observation", deny},
		{"v1 write allows delete", principalWith("", "user/Observation.write"), Delete, "Observation", open},
		{"v1 write refuses read", principalWith("", "user/Observation.write"), Read, "Observation", deny},
		{"v1 star allows all", principalWith("", "system/*.*"), Update, "Specimen", open},

		// Types and the AuditEvent rule.
		{"other type", principalWith("", "user/Observation.cruds"), Read, "Patient", deny},
		{"wildcard type", principalWith("", "user/*.rs"), Read, "Appointment", open},
		{"wildcard excludes AuditEvent", principalWith("", "user/*.cruds"), Read, "AuditEvent", deny},
		{"system wildcard excludes AuditEvent", principalWith("", "system/*.*"), SearchType, "AuditEvent", deny},
		{"patient wildcard excludes AuditEvent", principalWith("p1", "patient/*.rs"), Read, "AuditEvent", deny},
		{"named AuditEvent user", principalWith("", "user/AuditEvent.rs"), SearchType, "AuditEvent", open},
		{"named AuditEvent system", principalWith("", "system/AuditEvent.rs"), Read, "AuditEvent", open},
		{"named AuditEvent patient", principalWith("p1", "patient/AuditEvent.rs"), Read, "AuditEvent", confined(Grant{Patient: "p1"})},
		{"bad resource type", principalWith("", "user/*.cruds"), Read, "observation", deny},
		{"star as resource type", principalWith("", "user/*.cruds"), SearchType, "*", deny},
		{"empty resource type", principalWith("", "user/*.cruds"), SearchType, "", deny},

		// Patient versus user and system.
		{"patient scope confines", principalWith("p1", "patient/Observation.rs"), Read, "Observation", confined(Grant{Patient: "p1"})},
		{"patient scope without patient grants nothing", principalWith("", "patient/Observation.rs"), Read, "Observation", deny},
		{"user beats patient", principalWith("p1", "patient/Observation.rs", "user/Observation.r"), Read, "Observation", open},
		{"system scope is unrestricted", principalWith("", "system/Observation.rs"), SearchType, "Observation", open},

		// Union and granular grants.
		{"union of perms across scopes", principalWith("", "user/Observation.r", "user/Observation.c"), Create, "Observation", open},
		{"granular user scope", principalWith("", "user/Observation.rs?category=vital-signs"), SearchType, "Observation", confined(Grant{Query: vitals})},
		{"granular patient scope", principalWith("p1", "patient/Observation.rs?category=vital-signs"), SearchType, "Observation",
			confined(Grant{Patient: "p1", Query: vitals})},
		{"union of granular grants", principalWith("p1", "patient/Observation.rs?category=vital-signs", "user/Observation.rs?category=laboratory"),
			SearchType, "Observation", confined(Grant{Patient: "p1", Query: vitals}, Grant{Query: labs})},
		{"granular plus patient wide", principalWith("p1", "patient/Observation.rs?category=vital-signs", "patient/Observation.r"),
			Read, "Observation", confined(Grant{Patient: "p1", Query: vitals}, Grant{Patient: "p1"})},
		{"unrestricted absorbs granular", principalWith("", "user/Observation.rs?category=vital-signs", "user/*.rs"), Read, "Observation", open},
		{"duplicate grants merged", principalWith("p1", "patient/Observation.rs", "patient/*.read", "patient/Observation.r?category=vital-signs", "patient/Observation.rs?category=vital-signs"),
			Read, "Observation", confined(Grant{Patient: "p1"}, Grant{Patient: "p1", Query: vitals})},
		{"granular scope lacking perm", principalWith("", "user/Observation.s?category=vital-signs"), Read, "Observation", deny},

		// Degenerate principals.
		{"nil principal", nil, Read, "Observation", deny},
		{"no scopes", principalWith("p1"), Read, "Observation", deny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Decide(tt.in, tt.typ)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decide(%s, %s) = %+v, want %+v", tt.in, tt.typ, got, tt.want)
			}
		})
	}
}

// TestDecideEmptyQueryIsUnrestricted guards hand-built scopes: an empty
// non-nil query confines nothing and must not look like a confinement.
func TestDecideEmptyQueryIsUnrestricted(t *testing.T) {
	p := &Principal{Scopes: []Scope{{Context: ContextUser, Type: "Observation", Perms: PermRead, Query: url.Values{}}}}
	if got := p.Decide(Read, "Observation"); !got.Allowed || !got.Unrestricted {
		t.Errorf("Decide = %+v, want unrestricted", got)
	}
}
