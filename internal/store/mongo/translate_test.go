package mongo

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
)

var update = flag.Bool("update", false, "rewrite the golden files of the translator")

const goldenSeparator = "----------"

// fakeIDs answers sub-queries with fixed ids, so that golden files show how
// chains and reverse chains are spliced in without a database.
type fakeIDs struct{}

func (fakeIDs) chainTargets(_ context.Context, c search.Chain) ([]string, error) {
	return []string{c.Target + "-1", c.Target + "-2"}, nil
}

func (fakeIDs) hasSubjects(_ context.Context, typ string, h search.Has) ([]string, error) {
	return []string{typ + "-of-" + h.Type}, nil
}

// goldenCase is one testdata/*.txt file: an expression on Patient, the
// separator, then the expected filter as canonical extended JSON and whether
// Go must check the candidates.
type goldenCase struct {
	path, input, want string
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var cases []goldenCase
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		input, want, ok := strings.Cut(string(raw), "\n"+goldenSeparator+"\n")
		if !ok {
			t.Fatalf("%s: no %q line", path, goldenSeparator)
		}
		cases = append(cases, goldenCase{path: path, input: stripComments(input), want: want})
	}
	return cases
}

// stripComments drops the lines that start with '#'.
func stripComments(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// translateGolden translates an input as Search would for type Patient.
func translateGolden(input string) (bson.D, compiled, error) {
	x, err := parseExpr(input)
	if err != nil {
		return nil, compiled{}, err
	}
	c, err := (&translator{ctx: context.Background(), typ: "Patient", ids: fakeIDs{}}).expr(x)
	if err != nil {
		return nil, compiled{}, err
	}
	return and(typeFilter("Patient"), c.filter), c, nil
}

func renderGolden(filter bson.D, c compiled) (string, error) {
	ext, err := bson.MarshalExtJSON(filter, true, false)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, ext, "", "  "); err != nil {
		return "", err
	}
	out.WriteString("\nchecked in Go: ")
	if c.exact {
		out.WriteString("no\n")
	} else {
		out.WriteString("yes\n")
	}
	return out.String(), nil
}

func TestTranslateGolden(t *testing.T) {
	for _, tc := range loadGolden(t) {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			x, err := parseExpr(tc.input)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if x.String() != tc.input {
				t.Fatalf("input does not print back as itself:\n got %s\nwant %s", x, tc.input)
			}
			filter, c, err := translateGolden(tc.input)
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			got, err := renderGolden(filter, c)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				raw, _ := os.ReadFile(tc.path)
				head, _, _ := strings.Cut(string(raw), "\n"+goldenSeparator+"\n")
				if err := os.WriteFile(tc.path, []byte(head+"\n"+goldenSeparator+"\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != tc.want {
				t.Errorf("filter differs (run with -update to accept)\n got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct {
		name string
		expr search.Expr
	}{
		{"unknown field", search.Match{Param: "x", Conds: []search.Cond{{Field: "$where", Op: search.OpEq, Value: "1"}}}},
		{"unknown op", search.Match{Param: "x", Conds: []search.Cond{{Field: search.FieldCode, Op: "$ne", Value: "1"}}}},
		{"string on a number field", search.Match{Param: "x", Conds: []search.Cond{{Field: search.FieldLo, Op: search.OpEq, Value: "1"}}}},
		{"number on a string field", search.Match{Param: "x", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpEq, Value: 1.0}}}},
		{"prefix on a number field", search.Match{Param: "x", Conds: []search.Cond{{Field: search.FieldHi, Op: search.OpPrefix, Value: 1.0}}}},
		{"document literal", search.Match{Param: "x", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpEq, Value: bson.D{{Key: "$gt", Value: ""}}}}}},
		{"chain without target", search.Chain{Param: "subject", Where: search.IDIn{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &translator{ctx: context.Background(), typ: "Patient", ids: &Store{}}
			if tt.name != "chain without target" {
				tr.ids = fakeIDs{}
			}
			if _, err := tr.expr(tt.expr); err == nil {
				t.Fatalf("translated %s without error", tt.expr)
			}
		})
	}
}

func TestSuccessor(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"abc", "abd", true},
		{"a", "b", true},
		{"", "", false},
		{"zo\u00eb", "zo\u00ec", true},
		{"a\u007f", "a\u0080", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"a\ud7ff", "a\ue000", true},
		{"a\xff", "", false},
	}
	for _, tt := range tests {
		got, ok := successor(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("successor(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
