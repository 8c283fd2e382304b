package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func patientJSON(family, given, gender, birthDate, mrn string) string {
	return fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":"http://clinic.example.org/mrn","value":%q}],`+
		`"name":[{"family":%q,"given":[%q]}],"gender":%q,"birthDate":%q}`, mrn, family, given, gender, birthDate)
}

func create(t *testing.T, s *server, tok, typ, body string) map[string]any {
	t.Helper()
	r := must(t, s.do("POST", "/fhir/"+typ, tok, body), http.StatusCreated)
	return r.json(t)
}

func TestPatientLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")

		// Create: the server assigns the id, ignoring the client's.
		body := `{"resourceType":"Patient","id":"client-chosen","name":[{"family":"Chalmers","given":["Peter"]}],"gender":"male","birthDate":"1974-12-25"}`
		r := must(t, s.do("POST", "/fhir/Patient", tok, body), http.StatusCreated)
		p := r.json(t)
		id, _ := p["id"].(string)
		if id == "" || id == "client-chosen" {
			t.Fatalf("server must assign the id, got %q", id)
		}
		meta := p["meta"].(map[string]any)
		if meta["versionId"] != "1" || meta["lastUpdated"] == nil {
			t.Fatalf("meta = %v", meta)
		}
		if got := r.Header.Get("ETag"); got != `W/"1"` {
			t.Errorf("ETag = %q", got)
		}
		if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/fhir/Patient/"+id+"/_history/1") {
			t.Errorf("Location = %q", loc)
		}
		if r.Header.Get("Last-Modified") == "" {
			t.Error("no Last-Modified")
		}

		// Read returns exactly what was stored.
		rr := must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil), http.StatusOK)
		if string(rr.Body) != string(r.Body) {
			t.Errorf("read differs from create response:\n%s\n%s", rr.Body, r.Body)
		}
		if ct := rr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
			t.Errorf("Content-Type = %q", ct)
		}
		if rr.Header.Get("Cache-Control") != "no-store" || rr.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("security headers missing: %v", rr.Header)
		}
		// Conditional reads.
		must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil, "If-None-Match", `W/"1"`), http.StatusNotModified)
		must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil, "If-Modified-Since", rr.Header.Get("Last-Modified")), http.StatusNotModified)

		// Update with the right version, then a stale If-Match.
		upd := strings.Replace(body, `"client-chosen"`, `"`+id+`"`, 1)
		upd = strings.Replace(upd, `"Peter"`, `"Pete"`, 1)
		u := must(t, s.do("PUT", "/fhir/Patient/"+id, tok, upd, "If-Match", `W/"1"`), http.StatusOK)
		if u.Header.Get("ETag") != `W/"2"` {
			t.Errorf("ETag after update = %q", u.Header.Get("ETag"))
		}
		stale := must(t, s.do("PUT", "/fhir/Patient/"+id, tok, upd, "If-Match", `W/"1"`), http.StatusPreconditionFailed)
		if stale.json(t)["resourceType"] != "OperationOutcome" {
			t.Error("412 without OperationOutcome")
		}
		// An id mismatch between URL and body is refused.
		must(t, s.do("PUT", "/fhir/Patient/"+id, tok, strings.Replace(upd, id, "other", 1)), http.StatusBadRequest)

		// vread of version 1 still shows the old name.
		v1 := must(t, s.do("GET", "/fhir/Patient/"+id+"/_history/1", tok, nil), http.StatusOK)
		if !strings.Contains(string(v1.Body), `"Peter"`) {
			t.Errorf("vread 1 = %s", v1.Body)
		}
		must(t, s.do("GET", "/fhir/Patient/"+id+"/_history/9", tok, nil), http.StatusNotFound)

		// Delete: read gives 410 Gone, history keeps the deletion.
		must(t, s.do("DELETE", "/fhir/Patient/"+id, tok, nil), http.StatusNoContent)
		must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil), http.StatusGone)
		h := must(t, s.do("GET", "/fhir/Patient/"+id+"/_history", tok, nil), http.StatusOK)
		hb := h.json(t)
		if hb["type"] != "history" {
			t.Errorf("history bundle type = %v", hb["type"])
		}
		es := entries(t, h)
		if len(es) != 3 {
			t.Fatalf("history has %d entries, want 3: %s", len(es), h.Body)
		}
		if req := es[0]["request"].(map[string]any); req["method"] != "DELETE" {
			t.Errorf("newest history entry = %v, want the deletion", req)
		}
		// Deleting again changes nothing.
		must(t, s.do("DELETE", "/fhir/Patient/"+id, tok, nil), http.StatusNoContent)
		must(t, s.do("DELETE", "/fhir/Patient/never-was", tok, nil), http.StatusNotFound)

		// Update-as-create with a client id.
		cid := "mrn-5521"
		c := strings.Replace(body, `"client-chosen"`, `"`+cid+`"`, 1)
		cr := must(t, s.do("PUT", "/fhir/Patient/"+cid, tok, c), http.StatusCreated)
		if cr.json(t)["id"] != cid {
			t.Errorf("update-as-create id = %v", cr.json(t)["id"])
		}
		must(t, s.do("GET", "/fhir/Patient/unknown-id", tok, nil), http.StatusNotFound)
	})
}

func TestPatientFidelity(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		body := `{"resourceType":"Patient","birthDate":"1980-02-29","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1980-02-29T06:15:00+01:00"}]},` +
			`"extension":[{"url":"http://example.org/weight-at-birth","valueDecimal":3.50}],"name":[{"family":"Ødegård","given":["Åsa"],"_given":[{"extension":[{"url":"http://example.org/x","valueString":"<b>&</b>"}]}]}]}`
		p := create(t, s, tok, "Patient", body)
		r := must(t, s.do("GET", "/fhir/Patient/"+p["id"].(string), tok, nil), http.StatusOK)
		for _, want := range []string{`"valueDecimal":3.50`, `"_birthDate":{`, `1980-02-29T06:15:00+01:00`, `Ødegård`, `"<b>&</b>"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("stored resource lost %s:\n%s", want, r.Body)
			}
		}
	})
}

func TestPatientValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		cases := []struct {
			name, body string
			status     int
			expr       string // an expression the OperationOutcome must name ("" = any)
		}{
			{"birthDate not a string", `{"resourceType":"Patient","birthDate":19840312}`, 400, "Patient.birthDate"},
			{"unknown element", `{"resourceType":"Patient","nickname":"Bob"}`, 400, "Patient.nickname"},
			{"gender outside the required binding", `{"resourceType":"Patient","gender":"foo"}`, 400, "Patient.gender"},
			{"name not an array", `{"resourceType":"Patient","name":{"family":"X"}}`, 400, "Patient.name"},
			{"wrong resourceType", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, 400, ""},
			{"duplicate key", `{"resourceType":"Patient","gender":"male","gender":"female"}`, 400, "Patient.gender"},
			{"nested duplicate key", `{"resourceType":"Patient","name":[{"given":["a"],"given":["b"]}]}`, 400, "Patient.name[0].given"},
			{"invalid UTF-8", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"\xff\xfe\"}]}", 400, ""},
			{"dollar key", `{"resourceType":"Patient","$where":"1"}`, 400, ""},
			{"dotted key", `{"resourceType":"Patient","a.b":"1"}`, 400, ""},
			{"too deep", `{"resourceType":"Patient","extension":` + strings.Repeat(`[`, 101) + strings.Repeat(`]`, 101) + `}`, 400, ""},
			{"not JSON", `resourceType=Patient`, 400, ""},
			{"empty", ``, 400, ""},
			{"array at root", `[{"resourceType":"Patient"}]`, 400, ""},
			{"too large", `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("a", 70000) + `"}]}`, 413, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := must(t, s.do("POST", "/fhir/Patient", tok, c.body), c.status)
				exprs := issueExpressions(t, r)
				if c.expr != "" && !slices.Contains(exprs, c.expr) {
					t.Errorf("issues name %v, want %s: %s", exprs, c.expr, r.Body)
				}
			})
		}
		// Nothing was stored.
		all := must(t, s.do("GET", "/fhir/Patient?_total=accurate", tok, nil), http.StatusOK)
		if n := all.json(t)["total"]; n != float64(0) {
			t.Errorf("after refused writes total = %v, want 0", n)
		}
		// Wrong media type.
		r := s.do("POST", "/fhir/Patient", tok, `{"resourceType":"Patient"}`, "Content-Type", "text/plain")
		must(t, r, http.StatusUnsupportedMediaType)
	})
}

func TestPatientSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		type fixture struct{ family, given, gender, birth, mrn string }
		fixtures := []fixture{
			{"Müller", "Zoë", "female", "1984-03-12", "MRN-1"},   // 0
			{"Muller", "Hans", "male", "1990-07-01", "MRN-2"},    // 1
			{"Smith", "Anna", "female", "1990-12-31", "MRN-3"},   // 2
			{"Smithson", "Jon", "male", "2001-01-01", "MRN-4"},   // 3
			{"Osei", "Kwame", "male", "1975", "MRN-5"},           // 4: partial date
			{"Nakamura", "Yuki", "other", "1990-07-01", "MRN-6"}, // 5
		}
		idOf := make([]string, len(fixtures))
		for i, f := range fixtures {
			idOf[i] = create(t, s, tok, "Patient", patientJSON(f.family, f.given, f.gender, f.birth, f.mrn))["id"].(string)
		}
		// An SSN identifier on one patient, for system|value forms. The pause
		// makes it strictly the newest (lastUpdated has millisecond precision).
		time.Sleep(5 * time.Millisecond)
		upd := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"123-45-6789"},{"system":"http://clinic.example.org/mrn","value":"MRN-2"}],"name":[{"family":"Muller","given":["Hans"]}],"gender":"male","birthDate":"1990-07-01"}`, idOf[1])
		must(t, s.do("PUT", "/fhir/Patient/"+idOf[1], tok, upd), http.StatusOK)

		rows := []struct {
			query string
			want  []int // fixture indices
		}{
			{"_id=" + idOf[2], []int{2}},
			{"_id=" + idOf[2] + "," + idOf[3], []int{2, 3}},
			{"identifier=http://clinic.example.org/mrn|MRN-3", []int{2}},
			{"identifier=|MRN-3", nil}, // |value means "no system"
			{"identifier=MRN-3", []int{2}},
			{"identifier=http://hl7.org/fhir/sid/us-ssn|", []int{1}},
			{"identifier=http://hl7.org/fhir/sid/us-ssn|123-45-6789", []int{1}},
			{"family=muller", []int{0, 1}}, // accent- and case-insensitive
			{"family=MÜL", []int{0, 1}},
			{"family:exact=Müller", []int{0}},
			{"family:exact=muller", nil},
			{"family:contains=ith", []int{2, 3}},
			{"family=smith", []int{2, 3}},
			{"given=zoe", []int{0}},
			{"name=kwa", []int{4}},
			{"name=smith,osei", []int{2, 3, 4}},
			{"name=smith&gender=male", []int{3}},
			{"gender=female", []int{0, 2}},
			{"birthdate=1990", []int{1, 2, 5}},
			{"birthdate=1990-07", []int{1, 5}},
			{"birthdate=1990-07-01", []int{1, 5}},
			{"birthdate=ne1990-07-01", []int{0, 2, 3, 4}},
			{"birthdate=gt1990-07-01", []int{2, 3}},
			{"birthdate=ge1990-07-01", []int{1, 2, 3, 5}},
			{"birthdate=lt1984-03-12", []int{4}},
			{"birthdate=le1984-03-12", []int{0, 4}},
			{"birthdate=1975-06-15", nil}, // the search range does not contain the whole year 1975
			{"birthdate=ge1980&birthdate=lt1991", []int{0, 1, 2, 5}},
			{"family=nobody", nil},
		}
		for _, row := range rows {
			t.Run(row.query, func(t *testing.T) {
				r := must(t, s.do("GET", "/fhir/Patient?"+row.query, tok, nil), http.StatusOK)
				got := ids(t, r)
				var want []string
				for _, i := range row.want {
					want = append(want, idOf[i])
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}

		// _lastUpdated: everything was written just now.
		r := must(t, s.do("GET", "/fhir/Patient?_lastUpdated=gt2000-01-01&_total=accurate", tok, nil), http.StatusOK)
		if r.json(t)["total"] != float64(len(fixtures)) {
			t.Errorf("_lastUpdated total = %v", r.json(t)["total"])
		}
		must(t, s.do("GET", "/fhir/Patient?birthdate=1990-13-45", tok, nil), http.StatusBadRequest)

		// _sort on birthdate, family and _lastUpdated, ascending and descending.
		sorted := func(q string) []string {
			return ids(t, must(t, s.do("GET", "/fhir/Patient?"+q, tok, nil), http.StatusOK))
		}
		if got := sorted("_sort=birthdate&birthdate=lt1985"); !slices.Equal(got, []string{idOf[4], idOf[0]}) {
			t.Errorf("_sort=birthdate: %v", got)
		}
		if got := sorted("_sort=-birthdate&gender=female"); !slices.Equal(got, []string{idOf[2], idOf[0]}) {
			t.Errorf("_sort=-birthdate: %v", got)
		}
		if got := sorted("_sort=family&name=smith"); !slices.Equal(got, []string{idOf[2], idOf[3]}) {
			t.Errorf("_sort=family: %v", got)
		}
		if got := sorted("_sort=-_lastUpdated&_count=1"); !slices.Equal(got, []string{idOf[1]}) {
			t.Errorf("_sort=-_lastUpdated: %v (the updated patient is newest)", got)
		}

		// _count with next/previous links walks every patient exactly once.
		var seen []string
		next := "/fhir/Patient?_count=2&_total=accurate"
		pages := 0
		var lastPage *reply
		for next != "" && pages < 10 {
			r := must(t, s.do("GET", next, tok, nil), http.StatusOK)
			if r.json(t)["total"] != float64(len(fixtures)) {
				t.Errorf("total = %v", r.json(t)["total"])
			}
			got := ids(t, r)
			if len(got) > 2 {
				t.Fatalf("page of %d with _count=2", len(got))
			}
			seen = append(seen, got...)
			lastPage = r
			next = ""
			if l := link(t, r, "next"); l != "" {
				u, err := url.Parse(l)
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
			pages++
		}
		if len(seen) != len(fixtures) {
			t.Errorf("paging saw %d patients, want %d: %v", len(seen), len(fixtures), seen)
		}
		slices.Sort(seen)
		if len(slices.Compact(seen)) != len(fixtures) {
			t.Errorf("paging returned duplicates")
		}
		if prev := link(t, lastPage, "previous"); prev == "" {
			t.Error("last page has no previous link")
		} else {
			u, _ := url.Parse(prev)
			p := must(t, s.do("GET", u.RequestURI(), tok, nil), http.StatusOK)
			if n := len(ids(t, p)); n != 2 {
				t.Errorf("previous page has %d entries", n)
			}
		}

		// POST _search gives the same result as GET.
		get := ids(t, must(t, s.do("GET", "/fhir/Patient?family=smith&_sort=family", tok, nil), http.StatusOK))
		post := ids(t, must(t, s.do("POST", "/fhir/Patient/_search", tok, "family=smith&_sort=family", "Content-Type", "application/x-www-form-urlencoded"), http.StatusOK))
		if !slices.Equal(get, post) {
			t.Errorf("GET %v != POST _search %v", get, post)
		}
	})
}

func TestServiceEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		cs := must(t, s.do("GET", "/fhir/metadata", "", nil), http.StatusOK).json(t)
		if cs["resourceType"] != "CapabilityStatement" || cs["fhirVersion"] != "4.0.1" {
			t.Fatalf("metadata = %v", cs)
		}
		rest := cs["rest"].([]any)[0].(map[string]any)
		types := map[string]map[string]any{}
		for _, r := range rest["resource"].([]any) {
			m := r.(map[string]any)
			types[m["type"].(string)] = m
		}
		for _, want := range []string{"Patient", "Observation", "Specimen", "MedicationAdministration", "Appointment", "AuditEvent"} {
			if types[want] == nil {
				t.Errorf("CapabilityStatement lacks %s", want)
			}
		}
		var params []string
		for _, p := range types["Patient"]["searchParam"].([]any) {
			params = append(params, p.(map[string]any)["name"].(string))
		}
		for _, want := range []string{"birthdate", "family", "given", "name", "identifier", "gender", "_id", "_lastUpdated"} {
			if !slices.Contains(params, want) {
				t.Errorf("Patient search params lack %s: %v", want, params)
			}
		}
		must(t, s.do("GET", "/healthz", "", nil), http.StatusOK)
		must(t, s.do("GET", "/readyz", "", nil), http.StatusOK)
		must(t, s.do("GET", "/fhir/Patient/nope", token(t, adminScope, ""), nil), http.StatusNotFound)
		m := must(t, s.do("GET", "/metrics", "", nil), http.StatusOK)
		for _, want := range []string{"ehr_http_requests_total", "ehr_http_request_duration_seconds", "ehr_audit_commit_batch_size_count",
			"ehr_audit_commit_duration_seconds", "ehr_audit_projection_lag", "ehr_audit_queue_depth", `ehr_store_duration_seconds_count{op="read"}`} {
			if !strings.Contains(string(m.Body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		r := s.do("GET", "/fhir/metadata", "", nil)
		if r.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	})
}
