package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJournalReplay(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s")
	j, err := openJournal(p, "http://x/fhir")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []record{
		{Event: "begin", SHA256: "f", From: 0, To: 10},
		{Event: "done", SHA256: "f", From: 0, To: 10, Failed: []int{3}},
		{Event: "begin", SHA256: "f", From: 10, To: 20},
		{Event: "begin", SHA256: "f", From: 20, To: 30},
		{Event: "done", SHA256: "f", From: 20, To: 30},
		{Event: "begin", SHA256: "g", From: 0, To: 1},
		{Event: "done", SHA256: "g", From: 0, To: 1, Failed: []int{0}},
		{Event: "begin", SHA256: "g", From: 0, To: 1},
		{Event: "done", SHA256: "g", From: 0, To: 1}, // the retry worked
	} {
		if err := j.append(&r, r.Event == "begin"); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = openJournal(p, "http://x/fhir")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f, g := j.file("f"), j.file("g")
	tests := []struct {
		name            string
		fs              *fileState
		n               int
		done, uncertain bool
	}{
		{"answered", f, 0, true, false},
		{"failed: try again", f, 3, false, false},
		{"begun, never answered", f, 15, false, true},
		{"answered later batch", f, 25, true, false},
		{"never begun", f, 30, false, false},
		{"failure then success", g, 0, true, false},
		{"unknown file", j.file("h"), 0, false, false},
	}
	for _, tt := range tests {
		if d, u := tt.fs.isDone(tt.n), tt.fs.uncertain(tt.n); d != tt.done || u != tt.uncertain {
			t.Errorf("%s: done %v uncertain %v, want %v %v", tt.name, d, u, tt.done, tt.uncertain)
		}
	}
}

func TestJournalRepairsTornLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s")
	good := `{"event":"open","server":"http://x/fhir"}` + "\n" + `{"event":"done","sha256":"f","from":0,"to":5}` + "\n"
	if err := os.WriteFile(p, []byte(good+`{"event":"do`), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(p, "http://x/fhir")
	if err != nil {
		t.Fatal(err)
	}
	if !j.file("f").isDone(4) {
		t.Error("records before the torn line lost")
	}
	j.Close()
	raw, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], `{"event":"open"`) {
		t.Errorf("after repair and reopen:\n%s", raw)
	}
}

func TestJournalOfAnotherServer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s")
	j, err := openJournal(p, "http://a/fhir")
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := openJournal(p, "http://b/fhir"); err == nil || !strings.Contains(err.Error(), "http://a/fhir") {
		t.Errorf("err = %v, want a refusal naming the other server", err)
	}
}
