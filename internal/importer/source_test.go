package importer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ndjsonLines(typ string, n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`{"resourceType":"` + typ + `","id":"` + prefix + strconv.Itoa(i) + `"}` + "\n")
	}
	return b.String()
}

func TestPhasesFollowDependencies(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a-obs.ndjson", ndjsonLines("Observation", 2, "o"))
	writeFile(t, dir, "b-bundle.json", `{"resourceType":"Bundle","type":"transaction","entry":[]}`)
	writeFile(t, dir, "c-appt.ndjson", ndjsonLines("Appointment", 1, "a"))
	writeFile(t, dir, "d-pat.ndjson", ndjsonLines("Patient", 3, "p"))
	writeFile(t, dir, "e-obs2.ndjson", ndjsonLines("Observation", 1, "x"))
	writeFile(t, dir, "notes.txt", "ignored")
	srcs, err := expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, step := range phases(srcs) {
		var names []string
		for _, s := range step {
			names = append(names, filepath.Base(s.path))
		}
		got = append(got, strings.Join(names, "+"))
	}
	want := "d-pat.ndjson | a-obs.ndjson+e-obs2.ndjson | c-appt.ndjson | b-bundle.json"
	if strings.Join(got, " | ") != want {
		t.Errorf("phases = %s\nwant     %s", strings.Join(got, " | "), want)
	}
}

func TestExpandRefuses(t *testing.T) {
	dir := t.TempDir()
	txt := writeFile(t, dir, "x.txt", "")
	tests := []struct {
		name string
		args []string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.json")}},
		{"wrong extension", []string{txt}},
		{"empty directory", []string{t.TempDir()}},
	}
	for _, tt := range tests {
		if _, err := expand(tt.args); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func TestChunking(t *testing.T) {
	dir := t.TempDir()
	// 5 resources, a blank line (numbered, not sent), one unreadable line.
	content := ndjsonLines("Patient", 3, "p") + "\n" + `{"resourceType":` + "\n" + ndjsonLines("Patient", 2, "q")
	src, err := scanNDJSON(writeFile(t, dir, "p.ndjson", content))
	if err != nil {
		t.Fatal(err)
	}
	if src.items != 6 || src.typ != "Patient" {
		t.Fatalf("scan: %d items of %q", src.items, src.typ)
	}
	tests := []struct {
		name      string
		size, max int
		want      []span
	}{
		{"by count", 2, 1 << 20, []span{{0, 2}, {2, 5}, {5, 7}}},
		{"by bytes", 100, 2 * (entryOverhead + 40), []span{{0, 2}, {2, 5}, {5, 7}}},
		{"one batch", 100, 1 << 20, []span{{0, 7}}},
	}
	for _, tt := range tests {
		var got []span
		d := &dispatcher{size: tt.size, maxBytes: tt.max, skipped: func(int) {}, resized: func(int) {},
			emit: func(b *batch) error { got = append(got, b.span); return nil }}
		if err := d.ndjson(t.Context(), src); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: spans %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: spans %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

func TestFileItems(t *testing.T) {
	tests := []struct {
		name        string
		content     string
		items       int
		transaction bool
		bad         int
	}{
		{"transaction", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/a"}}]}`, 1, true, 0},
		{"collection", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"fullUrl":"x"}]}`, 2, false, 1},
		{"single resource", `{"resourceType":"Patient","id":"a"}`, 1, false, 0},
		{"garbage", `[1,2`, 1, false, 1},
	}
	for _, tt := range tests {
		items, tx := fileItems([]byte(tt.content))
		bad := 0
		for _, it := range items {
			if it.bad != nil {
				bad++
			}
		}
		if len(items) != tt.items || tx != tt.transaction || bad != tt.bad {
			t.Errorf("%s: %d items (%d bad), transaction %v", tt.name, len(items), bad, tx)
		}
	}
}
