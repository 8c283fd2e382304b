package importer

import (
	"testing"
)

func TestResourceItem(t *testing.T) {
	tests := []struct {
		name                   string
		line                   string
		method, url, ifNoneExt string
		bad                    bool
	}{
		{"id: update as create", `{"resourceType":"Patient","id":"p-1"}`, "PUT", "Patient/p-1", "", false},
		{"identifier: conditional create", `{"resourceType":"Specimen","identifier":[{"value":"x"},{"system":"http://lab/acc","value":"A|1,2"}]}`,
			"POST", "Specimen", `identifier=http%3A%2F%2Flab%2Facc%7CA%5C%7C1%5C%2C2`, false},
		{"neither: plain create", `{"resourceType":"Observation","status":"final"}`, "POST", "Observation", "", false},
		{"no resourceType", `{"id":"x"}`, "", "", "", true},
		{"not JSON", `{"resourceType":`, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := resourceItem(7, []byte(tt.line))
			if (it.bad != nil) != tt.bad {
				t.Fatalf("bad = %v, want %v", it.bad, tt.bad)
			}
			if tt.bad {
				return
			}
			if it.req.Method != tt.method || it.req.URL != tt.url || it.req.IfNoneExist != tt.ifNoneExt {
				t.Errorf("request = %+v, want %s %s ifNoneExist=%q", it.req, tt.method, tt.url, tt.ifNoneExt)
			}
			if string(it.body) != tt.line || it.n != 7 {
				t.Errorf("item %d body %s", it.n, it.body)
			}
		})
	}
}

func TestBundleEntry(t *testing.T) {
	tests := []struct {
		name                 string
		entry                rawEntry
		typ, id, ifNoneExist string
		bad                  bool
	}{
		{"update kept", rawEntry{Resource: []byte(`{"resourceType":"Patient","id":"a"}`), Request: request{Method: "put", URL: "Patient/a"}}, "Patient", "a", "", false},
		{"create gains ifNoneExist", rawEntry{Resource: []byte(`{"resourceType":"Patient","identifier":[{"system":"s","value":"v"}]}`), Request: request{Method: "POST", URL: "Patient"}}, "Patient", "", "identifier=s%7Cv", false},
		{"ifNoneExist kept", rawEntry{Resource: []byte(`{"resourceType":"Patient","identifier":[{"system":"s","value":"v"}]}`), Request: request{Method: "POST", URL: "Patient", IfNoneExist: "_id=z"}}, "Patient", "", "_id=z", false},
		{"conditional update", rawEntry{Resource: []byte(`{"resourceType":"Patient"}`), Request: request{Method: "PUT", URL: "Patient?identifier=s|v"}}, "Patient", "", "", false},
		{"vread", rawEntry{Request: request{Method: "GET", URL: "Patient/a/_history/2"}}, "Patient", "a", "", false},
		{"no request", rawEntry{Resource: []byte(`{"resourceType":"Patient"}`)}, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := bundleEntry(0, &tt.entry)
			if (it.bad != nil) != tt.bad {
				t.Fatalf("bad = %v", it.bad)
			}
			if tt.bad {
				return
			}
			if it.typ != tt.typ || it.id != tt.id || it.req.IfNoneExist != tt.ifNoneExist {
				t.Errorf("got %s/%s ifNoneExist=%q, want %s/%s %q", it.typ, it.id, it.req.IfNoneExist, tt.typ, tt.id, tt.ifNoneExist)
			}
		})
	}
}

func TestSpanSet(t *testing.T) {
	var s spanSet
	for _, x := range []span{{10, 20}, {0, 5}, {30, 40}, {5, 10}, {19, 31}, {50, 50}} {
		s.add(x)
	}
	if len(s) != 1 || s[0] != (span{0, 40}) {
		t.Fatalf("merged = %v, want [{0 40}]", s)
	}
	s.add(span{45, 47})
	tests := []struct {
		n    int
		want bool
	}{{-1, false}, {0, true}, {39, true}, {40, false}, {44, false}, {45, true}, {46, true}, {47, false}}
	for _, tt := range tests {
		if got := s.contains(tt.n); got != tt.want {
			t.Errorf("contains(%d) = %v", tt.n, got)
		}
	}
	if !s.covers(span{3, 40}) || s.covers(span{38, 46}) || !s.covers(span{9, 9}) {
		t.Errorf("covers wrong on %v", s)
	}
}

func TestSameContent(t *testing.T) {
	tests := []struct {
		name          string
		stored, input string
		want          bool
	}{
		{"server meta ignored", `{"resourceType":"Patient","id":"a","meta":{"versionId":"3","lastUpdated":"x"},"active":true}`, `{"resourceType":"Patient","id":"a","active":true}`, true},
		{"client meta kept", `{"resourceType":"Patient","id":"a","meta":{"versionId":"1","profile":["p"]}}`, `{"resourceType":"Patient","id":"a","meta":{"profile":["p"]}}`, true},
		{"decimal by value", `{"v":98.6}`, `{"v":98.60}`, true},
		{"key order ignored", `{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
		{"different value", `{"resourceType":"Patient","active":false}`, `{"resourceType":"Patient","active":true}`, false},
		{"profile dropped", `{"meta":{"versionId":"1"}}`, `{"meta":{"profile":["p"]}}`, false},
	}
	for _, tt := range tests {
		if got := sameContent([]byte(tt.stored), []byte(tt.input)); got != tt.want {
			t.Errorf("%s: sameContent = %v", tt.name, got)
		}
	}
}

func TestOutcomeSummary(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"bad date","expression":["Patient.birthDate"]}]}`, "Patient.birthDate: bad date"},
		{`{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"x","diagnostics":"w"},{"severity":"error","code":"conflict"}]}`, "conflict"},
		{`not json`, "not json"},
	}
	for _, tt := range tests {
		if got := outcomeSummary([]byte(tt.body)); got != tt.want {
			t.Errorf("outcomeSummary(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
