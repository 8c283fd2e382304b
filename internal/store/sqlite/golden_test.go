package sqlite

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// separator divides a golden file's input from its expected output, as in
// Caddy's caddyfile_adapt tests.
const separator = "\n----------\n"

// TestWhereGolden translates the expression of each testdata/where file (a
// search.Expr as its String method prints it) into the SQL condition on the
// Patient row r, and compares the condition and its arguments, or the error.
func TestWhereGolden(t *testing.T) {
	runGolden(t, "testdata/where/*.txt", func(input string) (string, error) {
		x, err := parseExpr(input)
		if err != nil {
			return "", fmt.Errorf("parse: %w", err)
		}
		if x.String() != input {
			return "", fmt.Errorf("input is not canonical; write it as %s", x)
		}
		w := &where{shapes: goldenShapes}
		cond, err := w.expr(x, scope{alias: "r", typ: "Patient"})
		if err != nil {
			return "error: " + err.Error(), nil
		}
		return cond + "\n" + printArgs(w.args), nil
	})
}

// TestQueryGolden builds the page and count statements of each
// testdata/query file, whose input is "key: value" lines: type, where, sort
// (comma-separated, "desc" after a key), count, after and before (cursors as
// JSON).
func TestQueryGolden(t *testing.T) {
	runGolden(t, "testdata/query/*.txt", func(input string) (string, error) {
		q, err := parseQuery(input)
		if err != nil {
			return "", err
		}
		p, err := newPlan(q, goldenShapes)
		if err != nil {
			return "error: " + err.Error(), nil
		}
		cur, back := q.After, false
		if q.Before != nil {
			cur, back = q.Before, true
		}
		page, pageArgs, err := p.pageSQL(cur, back, q.Count+1)
		if err != nil {
			return "error: " + err.Error(), nil
		}
		count, countArgs := p.countSQL()
		return strings.Join([]string{page, printArgs(pageArgs), count, printArgs(countArgs)}, "\n"), nil
	})
}

// goldenShapes are the stored range shapes that the golden files are
// translated with. birthdate and date hold one entry per resource, at most
// a day and a second wide; period holds several per resource; the shapes of
// other parameters are unknown, so no bound relies on them.
var goldenShapes = fixedShapes{
	{param: "birthdate"}: {width: 86_399_999},
	{param: "date"}:      {width: 999},
	{param: "period"}:    {width: 1e12, multi: true},
}

type fixedShapes map[rangeKey]rangeShape

func (f fixedShapes) shape(k rangeKey) (rangeShape, bool, error) {
	s, ok := f[k]
	return s, ok, nil
}

func runGolden(t *testing.T, pattern string, translate func(input string) (string, error)) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files %s: %v", pattern, err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), separator)
			if !ok {
				t.Fatalf("%s: no %q separator", file, strings.TrimSpace(separator))
			}
			input, want = strings.TrimSpace(input), strings.TrimSpace(want)
			got, err := translate(input)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if *update {
				if err := os.WriteFile(file, []byte(input+separator+got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s\ninput: %s\n got:\n%s\nwant:\n%s", file, input, got, want)
			}
		})
	}
}

func parseQuery(input string) (*store.Query, error) {
	q := &store.Query{}
	for line := range strings.Lines(input) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			return nil, fmt.Errorf("line %q: want key: value", line)
		}
		value = strings.TrimSpace(value)
		var err error
		switch key {
		case "type":
			q.Type = value
		case "where":
			q.Where, err = parseExpr(value)
		case "sort":
			for k := range strings.SplitSeq(value, ",") {
				param, dir, _ := strings.Cut(strings.TrimSpace(k), " ")
				q.Sort = append(q.Sort, store.SortKey{Param: param, Desc: dir == "desc"})
			}
		case "count":
			q.Count, err = strconv.Atoi(value)
		case "after":
			q.After = &store.Cursor{}
			err = json.Unmarshal([]byte(value), q.After)
		case "before":
			q.Before = &store.Cursor{}
			err = json.Unmarshal([]byte(value), q.Before)
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return q, nil
}

// printArgs shows arguments as Go literals, so that bytes that are not UTF-8
// stay visible.
func printArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case string:
			parts[i] = strconv.Quote(a)
		case float64:
			parts[i] = strconv.FormatFloat(a, 'g', -1, 64)
		default:
			parts[i] = fmt.Sprint(a)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
