package auth

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const allPerms = PermCreate | PermRead | PermUpdate | PermDelete | PermSearch

func TestParseScopeValid(t *testing.T) {
	tests := []struct {
		in        string
		ctx       Context
		typ       string
		perms     Perm
		query     url.Values
		canonical string
	}{
		{"patient/Observation.rs", ContextPatient, "Observation", PermRead | PermSearch, nil, "patient/Observation.rs"},
		{"user/*.cruds", ContextUser, "*", allPerms, nil, "user/*.cruds"},
		{"system/Patient.c", ContextSystem, "Patient", PermCreate, nil, "system/Patient.c"},
		{"user/Patient.cud", ContextUser, "Patient", PermCreate | PermUpdate | PermDelete, nil, "user/Patient.cud"},
		{"user/Patient.crs", ContextUser, "Patient", PermCreate | PermRead | PermSearch, nil, "user/Patient.crs"},
		{"user/Patient.d", ContextUser, "Patient", PermDelete, nil, "user/Patient.d"},
		{"user/Patient.s", ContextUser, "Patient", PermSearch, nil, "user/Patient.s"},
		{"user/Patient.us", ContextUser, "Patient", PermUpdate | PermSearch, nil, "user/Patient.us"},
		{"user/AuditEvent.rs", ContextUser, "AuditEvent", PermRead | PermSearch, nil, "user/AuditEvent.rs"},
		{"patient/MedicationAdministration.r", ContextPatient, "MedicationAdministration", PermRead, nil, "patient/MedicationAdministration.r"},
		{"patient/Observation.read", ContextPatient, "Observation", PermRead | PermSearch, nil, "patient/Observation.rs"},
		{"user/Observation.write", ContextUser, "Observation", PermCreate | PermUpdate | PermDelete, nil, "user/Observation.cud"},
		{"system/*.*", ContextSystem, "*", allPerms, nil, "system/*.cruds"},
		{"patient/*.read", ContextPatient, "*", PermRead | PermSearch, nil, "patient/*.rs"},
		{
			"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs",
			ContextPatient, "Observation", PermRead | PermSearch,
			url.Values{"category": {"http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"}},
			"patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Cvital-signs",
		},
		{"user/Observation.rs?status=final&code=1234-5", ContextUser, "Observation", PermRead | PermSearch,
			url.Values{"status": {"final"}, "code": {"1234-5"}}, "user/Observation.rs?code=1234-5&status=final"},
		{"user/Observation.r?code=a&code=b", ContextUser, "Observation", PermRead,
			url.Values{"code": {"a", "b"}}, "user/Observation.r?code=a&code=b"},
		{"user/Observation.r?code", ContextUser, "Observation", PermRead, url.Values{"code": {""}}, "user/Observation.r?code="},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseScope(tt.in)
			if err != nil {
				t.Fatalf("ParseScope: %v", err)
			}
			want := Scope{Context: tt.ctx, Type: tt.typ, Perms: tt.perms, Query: tt.query, Raw: tt.in}
			if !reflect.DeepEqual(s, want) {
				t.Errorf("got %+v, want %+v", s, want)
			}
			if got := s.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
		})
	}
}

func TestParseScopeInvalid(t *testing.T) {
	tests := []string{
		"",
		"openid",
		"fhirUser",
		"launch",
		"launch/patient",
		"offline_access",
		"patient/Observation",
		"patient/Observation.",
		"patient/.rs",
		"patient/observation.rs", // type must start upper case
		"patient/Obs3rvation.rs", // letters only
		"patient/O.rs",           // at least two letters
		"patient/Obs-ervation.rs",
		"patient/**.rs",
		"Patient/Observation.rs",      // context is lower case
		"practitioner/Observation.rs", // unknown context
		"/Observation.rs",
		"patient//Observation.rs",
		"patient/Observation.sr", // wrong order
		"patient/Observation.rr", // repeat
		"patient/Observation.crudsc",
		"patient/Observation.x",
		"patient/Observation.R",
		"patient/Observation.Read",
		"patient/Observation.reads",
		"patient/Observation.rs.rs",
		"patient/Observation.rs?",         // empty query
		"patient/Observation.rs?&",        // query with no parameter
		"patient/Observation.rs?=x",       // unnamed parameter
		"patient/Observation.rs?a=%zz",    // bad escape
		"patient/Observation.rs?a=1;b=2",  // semicolons refused by url.ParseQuery
		"patient/Observation.read?code=1", // v1 takes no query
		"patient/Observation.*?code=1",
		"user/Observation.write?status=x",
		" user/Observation.rs",
		"user/Observation.rs ",
		"user/" + strings.Repeat("A", 65) + ".rs", // over-long type
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			s, err := ParseScope(in)
			if err == nil {
				t.Fatalf("ParseScope accepted it: %+v", s)
			}
			if !errors.Is(err, ErrInvalidScope) {
				t.Errorf("err = %v, want ErrInvalidScope", err)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"openid fhirUser launch offline_access", nil},
		{"openid patient/Observation.rs  user/*.read\tsystem/Patient.sr", []string{"patient/Observation.rs", "user/*.read"}},
		{"user/Patient.r user/Patient.r", []string{"user/Patient.r", "user/Patient.r"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, s := range ParseScopes(tt.in) {
				got = append(got, s.Raw)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPermString(t *testing.T) {
	tests := []struct {
		p    Perm
		want string
	}{
		{0, ""},
		{PermRead, "r"},
		{PermSearch | PermRead, "rs"},
		{allPerms, "cruds"},
		{PermDelete | PermCreate, "cd"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Perm(%d).String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func FuzzParseScope(f *testing.F) {
	for _, seed := range []string{
		"patient/Observation.rs", "user/*.cruds", "system/Patient.read", "user/Observation.write",
		"patient/*.*", "patient/Observation.rs?category=a|b&code=x", "user/X.sr", "patient/Observation.rs?a=%20+b",
		"user/Observation.r?a=1&a=2", "user/Observation.r?&a", "", "?", "/.", "a/b.c?d",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScope(in)
		if err != nil {
			return
		}
		if s.Perms == 0 || s.Perms&^allPerms != 0 {
			t.Fatalf("%q: bad perms %d", in, s.Perms)
		}
		canon := s.String()
		again, err := ParseScope(canon)
		if err != nil {
			t.Fatalf("%q: canonical form %q does not parse: %v", in, canon, err)
		}
		if again.Context != s.Context || again.Type != s.Type || again.Perms != s.Perms || !reflect.DeepEqual(again.Query, s.Query) {
			t.Fatalf("%q: canonical form %q parses to %+v, want %+v", in, canon, again, s)
		}
		if again.String() != canon {
			t.Fatalf("%q: canonical form is not stable: %q then %q", in, canon, again.String())
		}
	})
}
