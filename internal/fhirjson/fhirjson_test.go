package fhirjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refusals lists inputs Check must refuse. at is the text whose last
// occurrence starts at the expected offset; "" means the end of the input.
var refusals = []struct {
	name, in, path, msg, at string
}{
	{"empty input", ``, "$", "empty input", ""},
	{"only whitespace", " \n\t", "$", "empty input", ""},
	{"array at root", `[{"resourceType":"Patient"}]`, "$", "must be a JSON object", "["},
	{"string at root", `"Patient"`, "$", "must be a JSON object", `"Patient"`},
	{"null at root", `null`, "$", "must be a JSON object", "null"},
	{"BOM before root", "\xef\xbb\xbf{}", "$", "must be a JSON object", "\xef"},

	{"duplicate key at root", `{"resourceType":"Patient","id":"1","id":"2"}`, "Patient.id", `duplicate key "id"`, `"id"`},
	{"duplicate resourceType", `{"resourceType":"Patient","resourceType":"Group"}`, "Patient.resourceType", `duplicate key "resourceType"`, `"resourceType"`},
	{"duplicate key nested", `{"resourceType":"Patient","name":[{"given":["a"],"given":["b"]}]}`, "Patient.name[0].given", `duplicate key "given"`, `"given"`},
	{"duplicate key via escape", `{"resourceType":"Patient","a":1,"\u0061":2}`, "Patient.a", `duplicate key "a"`, `"\u0061"`},
	{"duplicate key before resourceType", `{"id":"1","id":"2","resourceType":"Patient"}`, "$.id", `duplicate key "id"`, `"id"`},
	{"duplicate key after nested object", `{"a":{"b":1},"a":2}`, "$.a", `duplicate key "a"`, `"a"`},
	{"duplicate key in large object", manyKeys(40, "k7"), "$.k7", `duplicate key "k7"`, `"k7"`},

	{"invalid UTF-8 in value", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"M\xfcller\"}]}", "Patient.name[0].family", "invalid UTF-8", "\xfc"},
	{"invalid UTF-8 in key", "{\"resourceType\":\"Patient\",\"fam\xffily\":1}", "Patient", "invalid UTF-8", "\xff"},
	{"invalid UTF-8 outside string", "{\"a\":\xff}", "$.a", "invalid UTF-8", "\xff"},
	{"truncated UTF-8 sequence", "{\"a\":\"\xc3\"}", "$.a", "invalid UTF-8", "\xc3"},
	{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", "$.a", "invalid UTF-8", "\xc0"},
	{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", "$.a", "invalid UTF-8", "\xed"},
	{"lone high surrogate", `{"resourceType":"Patient","a":"\ud800"}`, "Patient.a", "lone high surrogate", `\ud800`},
	{"lone high surrogate mid-string", `{"a":"x\uD800yz"}`, "$.a", "lone high surrogate", `\uD800`},
	{"lone low surrogate", `{"a":"\udc00"}`, "$.a", "lone low surrogate", `\udc00`},
	{"high surrogate then non-surrogate", `{"a":"\ud800\u0041"}`, "$.a", "lone high surrogate", `\ud800`},
	{"surrogates reversed", `{"a":"\udc00\ud800"}`, "$.a", "lone low surrogate", `\udc00`},
	{"lone surrogate in key", `{"\ud800":1}`, "$", "lone high surrogate", `\ud800`},

	{"key starting with $", `{"resourceType":"Patient","$where":"1"}`, "Patient.$where", "must not start with '$'", `"$where"`},
	{"escaped $ key", `{"\u0024where":"1"}`, "$.$where", "must not start with '$'", `"\u0024where"`},
	{"key with dot", `{"resourceType":"Patient","a.b":1}`, "Patient.a.b", "must not contain '.'", `"a.b"`},
	{"nested key with dot", `{"resourceType":"Patient","extension":[{"url.x":"a"}]}`, "Patient.extension[0].url.x", "must not contain '.'", `"url.x"`},

	{"trailing garbage", `{"resourceType":"Patient"} x`, "Patient", "after top-level object", "x"},
	{"second object", `{}{}`, "$", "after top-level object", "{}"},
	{"trailing NUL", "{}\x00", "$", "after top-level object", "\x00"},
	{"trailing comma in object", `{"a":1,}`, "$", "expected string object key", "}"},
	{"trailing comma in array", `{"a":[1,]}`, "$.a[1]", "expected value", "]"},
	{"missing colon", `{"a" 1}`, "$.a", "expected ':'", "1"},
	{"missing comma", `{"a":1 "b":2}`, "$.a", "expected ',' or '}'", `"b"`},
	{"missing array comma", `{"a":[1 2]}`, "$.a[0]", "expected ',' or ']'", "2"},
	{"unquoted key", `{a:1}`, "$", "expected string object key", "a"},
	{"single quotes", `{"a":'x'}`, "$.a", "expected value", "'x'"},
	{"mismatched bracket", `{"a":[1}`, "$.a[0]", "expected ',' or ']'", "}"},
	{"comment", `{/*c*/}`, "$", "expected string object key", "/*"},
	{"unterminated string", `{"a":"abc`, "$.a", "unterminated string", ""},
	{"unterminated object", `{"a":1`, "$.a", "unexpected end of input", ""},
	{"unterminated array", `{"a":[`, "$.a[0]", "unexpected end of input", ""},
	{"raw tab in string", "{\"a\":\"x\ty\"}", "$.a", "control character 0x09", "\t"},
	{"raw newline in string", "{\"a\":\"x\ny\"}", "$.a", "control character 0x0a", "\n"},
	{"invalid escape", `{"a":"\x"}`, "$.a", "invalid escape", `\x`},
	{"bad unicode escape", `{"a":"\u12G4"}`, "$.a", "invalid \\u escape", `\u12G4`},
	{"short unicode escape", `{"a":"\u12"}`, "$.a", "invalid \\u escape", `\u12`},

	{"leading zero", `{"a":01}`, "$.a", "expected ',' or '}'", "1"},
	{"plus sign", `{"a":+1}`, "$.a", "expected value", "+"},
	{"leading dot", `{"a":.5}`, "$.a", "expected value", ".5"},
	{"trailing dot", `{"a":1.}`, "$.a", "after '.'", "1."},
	{"empty exponent", `{"a":1e}`, "$.a", "in exponent", "1e"},
	{"signed empty exponent", `{"a":1e+}`, "$.a", "in exponent", "1e+"},
	{"lone minus", `{"a":-}`, "$.a", "expected digit", "-"},
	{"NaN", `{"a":NaN}`, "$.a", "expected value", "NaN"},
	{"Infinity", `{"a":-Infinity}`, "$.a", "expected digit", "-Infinity"},
	{"hex number", `{"a":0x10}`, "$.a", "expected ',' or '}'", "x"},
	{"truncated true", `{"a":tru}`, "$.a", "expected true", "tru"},
	{"capitalised true", `{"a":True}`, "$.a", "expected value", "True"},
	{"truncated null", `{"a":nul`, "$.a", "expected null", "nul"},
}

// accepted lists inputs Check must accept.
var accepted = []struct{ name, in string }{
	{"empty object", `{}`},
	{"surrounding whitespace", " \r\n\t{\"a\" : 1 } \n"},
	{"raw unicode names", `{"resourceType":"Patient","name":[{"family":"Müller","given":["Zoë"]}]}`},
	{"escaped unicode names", `{"resourceType":"Patient","name":[{"family":"M\u00fcller","given":["Zo\u00EB"]}]}`},
	{"surrogate pair", `{"a":"\ud83d\ude00","b":"😀"}`},
	{"literal U+FFFD", `{"a":"` + "\uFFFD" + `"}`},
	{"all escapes", `{"a":"\"\\\/\b\f\n\r\t\u0000"}`},
	{"numbers", `{"a":[0,-0,98.60,1.50e2,1E+2,-1.5e-3,12345678901234567890123,0.000000000000000000001]}`},
	{"literals", `{"a":[true,false,null]}`},
	{"empty containers", `{"a":{},"b":[],"c":[[],{}]}`},
	{"same key in sibling objects", `{"a":{"a":1},"b":{"a":1},"c":[{"k":1},{"k":2}]}`},
	{"child keys do not leak into parent", `{"a":{"b":1},"b":2}`},
	{"dollar inside key", `{"a$b":1}`},
	{"contained resource", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1"}]}`},
	{"primitive extension", `{"resourceType":"Patient","birthDate":"1987-03-02","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1987-03-02T14:35:45+01:00"}]}}`},
	{"large object", manyKeys(100, "")},
}

// manyKeys builds an object with n distinct keys, then repeats dup if set.
func manyKeys(n int, dup string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if dup != "" {
		fmt.Fprintf(&b, `%q:0,`, dup)
	}
	b.WriteString(`"end":true}`)
	return b.String()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

func TestCheckRefuses(t *testing.T) {
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.in), Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) = %v, want *Error", tc.in, err)
			}
			want := int64(len(tc.in))
			if tc.at != "" {
				want = int64(strings.LastIndex(tc.in, tc.at))
			}
			if e.Path != tc.path || e.Offset != want || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("Check(%q) = {Path:%q Offset:%d Msg:%q}, want {Path:%q Offset:%d Msg containing %q}",
					tc.in, e.Path, e.Offset, e.Msg, tc.path, want, tc.msg)
			}
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	cases := append(accepted[:len(accepted):len(accepted)],
		struct{ name, in string }{"patient testdata", string(readTestdata(t, "patient.json"))},
		struct{ name, in string }{"observation testdata", string(readTestdata(t, "observation-bp.json"))},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check([]byte(tc.in), Options{}); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !json.Valid([]byte(tc.in)) {
				t.Fatalf("Check accepted what encoding/json refuses: %q", tc.in)
			}
		})
	}
}

// nested builds a document whose nesting depth is exactly depth, using
// objects or arrays below the root object.
func nested(depth int, arrays bool) string {
	if arrays {
		return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
	}
	return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

func TestCheckDepth(t *testing.T) {
	tests := []struct {
		name     string
		depth    int
		arrays   bool
		maxDepth int
		wantErr  bool
	}{
		{"objects at default limit", 100, false, 0, false},
		{"objects over default limit", 101, false, 0, true},
		{"arrays at default limit", 100, true, 0, false},
		{"arrays over default limit", 101, true, 0, true},
		{"negative means default", 101, false, -1, true},
		{"custom limit", 3, false, 3, false},
		{"over custom limit", 4, false, 3, true},
		{"root object alone fits limit 1", 1, false, 1, false},
		{"encoding/json's limit", 10000, false, 1 << 20, false},
		{"limit capped at encoding/json's", 10001, false, 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(nested(tc.depth, tc.arrays))
			err := Check(in, Options{MaxDepth: tc.maxDepth})
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if _, err := Decode(in, Options{MaxDepth: tc.maxDepth}); err != nil {
					t.Fatalf("Decode after Check: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Msg, "nesting deeper than") {
				t.Fatalf("Check = %v, want nesting error", err)
			}
			// The offending bracket is the last opening one.
			if want := int64(bytes.LastIndexAny(in, "{[")); e.Offset != want {
				t.Errorf("Offset = %d, want %d", e.Offset, want)
			}
		})
	}
}

func TestCheckDepthPath(t *testing.T) {
	in := `{"resourceType":"Bundle","entry":[{"resource":{"a":[[{}]]}}]}`
	err := Check([]byte(in), Options{MaxDepth: 6})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Check = %v, want *Error", err)
	}
	if want := "Bundle.entry[0].resource.a[0][0]"; e.Path != want {
		t.Errorf("Path = %q, want %q", e.Path, want)
	}
}

func TestErrorString(t *testing.T) {
	err := Check([]byte(`{"resourceType":"Patient","name":[{"given":["a"],"given":["b"]}]}`), Options{})
	want := `fhirjson: Patient.name[0].given: duplicate key "given" (offset 49)`
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %s", err, want)
	}
}

func TestErrorTruncatesLongKeys(t *testing.T) {
	long := strings.Repeat("ü", 100) // 200 bytes
	err := Check([]byte(`{"`+long+`":1,"`+long+`":2}`), Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Check = %v, want *Error", err)
	}
	if len(e.Path) > 2+maxShown+3 || len(e.Msg) > 100+maxShown {
		t.Errorf("error not truncated: Path %d bytes, Msg %d bytes", len(e.Path), len(e.Msg))
	}
	if !strings.HasSuffix(e.Path, "ü...") {
		t.Errorf("Path %q should end on a whole rune followed by ...", e.Path)
	}
}

func TestDecodeKeepsNumberText(t *testing.T) {
	tests := []struct{ name, in string }{
		{"decimals", `{"resourceType":"Observation","valueQuantity":{"value":98.60},"x":1.50e2}`},
		{"edge numbers", `{"a":[-0,1E400,0.000001000,12345678901234567890123,-1.5e-3]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode([]byte(tc.in), Options{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			// Inputs are already canonical, so the round trip is exact.
			if string(out) != tc.in {
				t.Errorf("round trip\n got %s\nwant %s", out, tc.in)
			}
		})
	}
	m, err := Decode([]byte(tests[0].in), Options{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	v := m["valueQuantity"].(map[string]any)["value"]
	if n, ok := v.(json.Number); !ok || n != "98.60" {
		t.Errorf("value = %#v, want json.Number(\"98.60\")", v)
	}
}

func TestDecodeRefuses(t *testing.T) {
	_, err := Decode([]byte(`{"a":1,"a":2}`), Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Decode = %v, want *Error from Check", err)
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"no HTML escaping", map[string]any{"div": `<div xmlns="http://www.w3.org/1999/xhtml">a & b</div>`},
			`{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a & b</div>"}`},
		{"sorted keys", map[string]any{"resourceType": "Patient", "id": "1", "active": true},
			`{"active":true,"id":"1","resourceType":"Patient"}`},
		{"unicode kept", map[string]any{"given": []any{"Zoë", "Müller", "😀"}},
			`{"given":["Zoë","Müller","😀"]}`},
		{"number verbatim", map[string]any{"value": json.Number("1.50e2")}, `{"value":1.50e2}`},
		{"nested compact", map[string]any{"a": []any{map[string]any{"b": nil}}}, `{"a":[{"b":null}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("Marshal\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := Marshal(map[string]any{"bad": json.Number("1.2.3")}); err == nil {
		t.Error("Marshal accepted an invalid json.Number")
	}
}

func TestRoundTripTestdata(t *testing.T) {
	tests := []struct {
		file     string
		contains []string
	}{
		{"patient.json", []string{`"given":["Zoë","Anne-Kathrin"]`, `"<div xmlns=`, `&amp;`, `"_birthDate":{"extension":`, `"multipleBirthInteger":1`}},
		{"observation-bp.json", []string{`"value":107.0`, `"value":60.50`, `"mm[Hg]"`, `systolic & diastolic`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Decode(readTestdata(t, tc.file), Options{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			for _, s := range tc.contains {
				if !bytes.Contains(out, []byte(s)) {
					t.Errorf("canonical form lacks %s:\n%s", s, out)
				}
			}
			// The canonical form is a fixed point.
			m2, err := Decode(out, Options{})
			if err != nil {
				t.Fatalf("Decode canonical: %v", err)
			}
			out2, err := Marshal(m2)
			if err != nil {
				t.Fatalf("Marshal canonical: %v", err)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("canonical form not stable:\n%s\n%s", out, out2)
			}
		})
	}
}

func TestResourceType(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]any
		want string
	}{
		{"present", map[string]any{"resourceType": "Patient"}, "Patient"},
		{"missing", map[string]any{"id": "1"}, ""},
		{"not a string", map[string]any{"resourceType": json.Number("1")}, ""},
		{"nil map", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResourceType(tc.m); got != tc.want {
				t.Errorf("ResourceType = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCheckReuse guards the pooled scanner: state from a failed or deep check
// must not leak into the next one.
func TestCheckReuse(t *testing.T) {
	inputs := []struct {
		in      string
		wantErr bool
	}{
		{`{"resourceType":"Patient","a":{"b":{"c":1,"c":2}}}`, true},
		{`{"c":1}`, false},
		{manyKeys(40, "k3"), true},
		{manyKeys(40, ""), false},
		{`{"resourceType":"Patient","x":[`, true},
		{`{"resourceType":"Group","a":1,"a":2}`, true},
		{`{"a":1,"b":2}`, false},
	}
	for round := range 3 {
		for _, tc := range inputs {
			err := Check([]byte(tc.in), Options{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("round %d: Check(%q) = %v, wantErr %v", round, tc.in, err, tc.wantErr)
			}
		}
	}
	// The root name of a previous document must not show up in a later path.
	err := Check([]byte(`{"a":1,"a":2}`), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Path != "$.a" {
		t.Errorf("Check = %v, want Path $.a", err)
	}
}

func TestCheckConcurrent(t *testing.T) {
	docs := [][]byte{readTestdata(t, "patient.json"), readTestdata(t, "observation-bp.json")}
	bad := []byte(`{"resourceType":"Patient","name":[{"given":["a"],"given":["b"]}]}`)
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 200 {
				if err := Check(docs[(g+i)%2], Options{}); err != nil {
					done <- err
					return
				}
				var e *Error
				if err := Check(bad, Options{}); !errors.As(err, &e) || e.Path != "Patient.name[0].given" {
					done <- fmt.Errorf("bad doc: %v", err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestCheckLargeObjects exercises the hash tables used past linearKeys
// members, including growth and nested large objects sharing the slot stack.
func TestCheckLargeObjects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"just past linear", manyKeys(linearKeys+1, ""), ""},
		{"duplicate of first key", manyKeys(linearKeys+1, "k0"), `duplicate key "k0"`},
		{"duplicate of last key", manyKeys(1000, "k999"), `duplicate key "k999"`},
		{"duplicate after growth", manyKeys(5000, "k1234"), `duplicate key "k1234"`},
		{"sibling large objects", `{"a":` + manyKeys(40, "") + `,"b":` + manyKeys(40, "") + `}`, ""},
		{"duplicate in second sibling", `{"a":` + manyKeys(40, "") + `,"b":` + manyKeys(40, "k0") + `}`, `duplicate key "k0"`},
		{"large parent around large child", largeAroundDup(manyKeys(50, ""), ""), ""},
		{"parent duplicate after child table freed", largeAroundDup(manyKeys(50, ""), "p3"), `duplicate key "p3"`},
		{"parent duplicate of child member", largeAroundDup(manyKeys(50, ""), "k3"), ""},
		{"child duplicate inside large parent", largeAroundDup(manyKeys(50, "k49"), ""), `duplicate key "k49"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.in), Options{})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Check = %v, want error containing %s", err, tc.wantErr)
			}
			if refErr := refCheck([]byte(tc.in)); (refErr == nil) != (err == nil) {
				t.Errorf("Check = %v but reference = %v", err, refErr)
			}
		})
	}
}

// largeAroundDup wraps child in an object with 20 keys before and after it,
// then repeats dup as the last parent key if set.
func largeAroundDup(child, dup string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range 20 {
		fmt.Fprintf(&b, `"p%d":%d,`, i, i)
	}
	b.WriteString(`"child":` + child)
	for i := 20; i < 40; i++ {
		fmt.Fprintf(&b, `,"p%d":%d`, i, i)
	}
	if dup != "" {
		fmt.Fprintf(&b, `,%q:0`, dup)
	}
	b.WriteByte('}')
	return b.String()
}
