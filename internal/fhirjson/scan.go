package fhirjson

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// linearKeys is how many members an object may have before duplicate
// detection switches from a linear scan to a hash table. Most FHIR objects
// are small, so the scan wins; the table keeps huge objects O(n).
const linearKeys = 16

// plain marks the bytes a string may contain without further thought:
// printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// span is a range of scanner.arena.
type span struct{ off, end int }

// frame is one open object or array.
type frame struct {
	obj   bool
	index int // array: index of the element being read
	cur   int // object: index in scanner.keys of the member being read, -1 if none
	keys  int // first index in scanner.keys owned by this frame
	arena int // len(scanner.arena) when the frame opened
	table int // object: start of its hash table in scanner.slots, -1 while it scans linearly
}

// scanner is a single-pass, non-recursive JSON validator. Decoded keys, their
// spans and the hash tables of large objects all live in buffers used as
// stacks (truncated when their object closes), so reading a document costs no
// allocation once a pooled scanner has grown to fit.
type scanner struct {
	data     []byte
	pos      int
	maxDepth int
	stack    []frame
	keys     []span
	arena    []byte
	slots    []int // open-addressing tables: 1 + index into keys, 0 when empty
	seed     maphash.Seed
	root     span // decoded root resourceType value, valid when hasRoot
	hasRoot  bool
}

var scanners = sync.Pool{New: func() any {
	// A random seed per scanner keeps clients from crafting colliding keys.
	return &scanner{seed: maphash.MakeSeed()}
}}

func (s *scanner) reset(data []byte, maxDepth int) {
	s.data, s.pos, s.maxDepth = data, 0, maxDepth
	s.hasRoot = false
}

// release drops references to the input and any large buffers before the
// scanner goes back to the pool.
func (s *scanner) release() {
	s.data = nil
	s.stack = s.stack[:0]
	s.keys = s.keys[:0]
	s.arena = s.arena[:0]
	s.slots = s.slots[:0]
	if cap(s.arena) > 64<<10 {
		s.arena = nil
	}
	if cap(s.stack) > 1024 {
		s.stack = nil
	}
	if cap(s.keys) > 4096 {
		s.keys = nil
	}
	if cap(s.slots) > 16384 {
		s.slots = nil
	}
}

func (s *scanner) run() error {
	s.skipSpace()
	if s.pos == len(s.data) {
		return s.fail(s.pos, "empty input")
	}
	if s.data[s.pos] != '{' {
		return s.fail(s.pos, "top-level value must be a JSON object")
	}
	for {
		opened, err := s.value()
		if err != nil {
			return err
		}
		if opened {
			continue // a container is waiting for its first element
		}
		done, err := s.next()
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return s.fail(s.pos, "unexpected data after top-level object")
	}
	return nil
}

// value reads one value. For a non-empty object or array it only opens the
// container (and, for an object, reads the first key) and reports opened.
func (s *scanner) value() (opened bool, err error) {
	s.skipSpace()
	if s.pos == len(s.data) {
		return false, s.fail(s.pos, "unexpected end of input")
	}
	switch c := s.data[s.pos]; c {
	case '{':
		if err := s.push(true); err != nil {
			return false, err
		}
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			s.pop()
			return false, nil
		}
		return true, s.member()
	case '[':
		if err := s.push(false); err != nil {
			return false, err
		}
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			s.pop()
			return false, nil
		}
		return true, nil
	case '"':
		if s.atRootResourceType() {
			mark := len(s.arena)
			if err := s.str(true); err != nil {
				return false, err
			}
			s.root, s.hasRoot = span{mark, len(s.arena)}, len(s.arena) > mark
			return false, nil
		}
		return false, s.str(false)
	case 't':
		return false, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return false, s.literal("null")
	default:
		if c == '-' || isDigit(c) {
			return false, s.number()
		}
		return false, s.unexpected("value")
	}
}

// next consumes what follows a complete value: closing brackets, then either a
// comma (and, in an object, the next key) or the end of the top-level value.
func (s *scanner) next() (done bool, err error) {
	for len(s.stack) > 0 {
		s.skipSpace()
		if s.pos == len(s.data) {
			return false, s.fail(s.pos, "unexpected end of input")
		}
		top := &s.stack[len(s.stack)-1]
		switch c := s.data[s.pos]; {
		case c == ',':
			s.pos++
			if !top.obj {
				top.index++
				return false, nil
			}
			top.cur = -1 // until the next key is read, the path ends at the object
			s.skipSpace()
			return false, s.member()
		case top.obj && c == '}', !top.obj && c == ']':
			s.pos++
			s.pop()
		case top.obj:
			return false, s.unexpected("',' or '}' after object member")
		default:
			return false, s.unexpected("',' or ']' after array element")
		}
	}
	return true, nil
}

// member reads an object key and its colon, enforcing the key rules.
func (s *scanner) member() error {
	if s.pos == len(s.data) {
		return s.fail(s.pos, "unexpected end of input")
	}
	if s.data[s.pos] != '"' {
		return s.unexpected("string object key")
	}
	start := s.pos
	mark := len(s.arena)
	if err := s.str(true); err != nil {
		return err
	}
	top := &s.stack[len(s.stack)-1]
	s.keys = append(s.keys, span{mark, len(s.arena)})
	top.cur = len(s.keys) - 1 // errors about the key point at the key
	key := s.arena[mark:]
	switch {
	case len(key) > 0 && key[0] == '$':
		return s.fail(start, "key %s must not start with '$'", quoteKey(key))
	case bytes.IndexByte(key, '.') >= 0:
		return s.fail(start, "key %s must not contain '.'", quoteKey(key))
	case s.seen(top, key):
		return s.fail(start, "duplicate key %s", quoteKey(key))
	}
	s.skipSpace()
	if s.pos == len(s.data) {
		return s.fail(s.pos, "unexpected end of input")
	}
	if s.data[s.pos] != ':' {
		return s.unexpected("':' after object key")
	}
	s.pos++
	return nil
}

// seen reports whether key (already the last entry of s.keys) was an earlier
// member of the object top, and records it otherwise.
func (s *scanner) seen(top *frame, key []byte) bool {
	members := len(s.keys) - top.keys
	if top.table < 0 {
		for _, k := range s.keys[top.keys : len(s.keys)-1] {
			if bytes.Equal(s.arena[k.off:k.end], key) {
				return true
			}
		}
		if members > linearKeys {
			s.buildTable(top)
		}
		return false
	}
	tbl := s.slots[top.table:]
	mask := uint64(len(tbl) - 1)
	for i := maphash.Bytes(s.seed, key) & mask; ; i = (i + 1) & mask {
		if tbl[i] == 0 {
			tbl[i] = len(s.keys)
			break
		}
		k := s.keys[tbl[i]-1]
		if bytes.Equal(s.arena[k.off:k.end], key) {
			return true
		}
	}
	if 2*members > len(tbl) {
		s.buildTable(top) // keep the load at most 1/2
	}
	return false
}

// buildTable (re)builds top's hash table with room for four times its current
// members. top is the innermost frame, so its table, if any, is the last one
// in s.slots and can be replaced in place.
func (s *scanner) buildTable(top *frame) {
	if top.table < 0 {
		top.table = len(s.slots)
	}
	members := s.keys[top.keys:]
	size := 1
	for size < 4*len(members) {
		size <<= 1
	}
	s.slots = slices.Grow(s.slots[:top.table], size)[:top.table+size]
	tbl := s.slots[top.table:]
	clear(tbl)
	mask := uint64(size - 1)
	for j, k := range members {
		i := maphash.Bytes(s.seed, s.arena[k.off:k.end]) & mask
		for tbl[i] != 0 {
			i = (i + 1) & mask
		}
		tbl[i] = top.keys + j + 1
	}
}

// atRootResourceType reports whether the value about to be read is the root
// object's "resourceType", whose value names the root in error paths.
func (s *scanner) atRootResourceType() bool {
	if len(s.stack) != 1 || s.stack[0].cur < 0 {
		return false
	}
	k := s.keys[s.stack[0].cur]
	return string(s.arena[k.off:k.end]) == "resourceType"
}

// push opens a container at s.pos.
func (s *scanner) push(obj bool) error {
	if len(s.stack) >= s.maxDepth {
		return s.fail(s.pos, "nesting deeper than %d", s.maxDepth)
	}
	s.stack = append(s.stack, frame{obj: obj, cur: -1, keys: len(s.keys), arena: len(s.arena), table: -1})
	s.pos++
	return nil
}

// pop closes the innermost container and frees what it decoded.
func (s *scanner) pop() {
	f := s.stack[len(s.stack)-1]
	s.keys = s.keys[:f.keys]
	s.arena = s.arena[:f.arena]
	if f.table >= 0 {
		s.slots = s.slots[:f.table]
	}
	s.stack = s.stack[:len(s.stack)-1]
}

// str reads the string whose opening quote is at s.pos. With decode set, the
// decoded text is appended to s.arena.
func (s *scanner) str(decode bool) error {
	data := s.data
	pos := s.pos + 1
	run := pos // start of the literal bytes not yet copied to arena
	for {
		for pos < len(data) && plain[data[pos]] {
			pos++
		}
		if pos == len(data) {
			return s.fail(pos, "unterminated string")
		}
		switch c := data[pos]; {
		case c == '"':
			if decode {
				s.arena = append(s.arena, data[run:pos]...)
			}
			s.pos = pos + 1
			return nil
		case c == '\\':
			if decode {
				s.arena = append(s.arena, data[run:pos]...)
			}
			n, err := s.escape(pos, decode)
			if err != nil {
				return err
			}
			pos += n
			run = pos
		case c < 0x20:
			return s.fail(pos, "control character 0x%02x in string must be escaped", c)
		default:
			r, size := utf8.DecodeRune(data[pos:])
			if r == utf8.RuneError && size == 1 {
				return s.fail(pos, "invalid UTF-8 byte 0x%02x in string", c)
			}
			pos += size
		}
	}
}

// escape reads the escape sequence whose backslash is at p and returns its
// length. Surrogates must come as a high/low \u pair: a lone one cannot be
// represented in UTF-8, and encoding/json would silently turn it into U+FFFD.
func (s *scanner) escape(p int, decode bool) (int, error) {
	data := s.data
	if p+1 == len(data) {
		return 0, s.fail(p, "unterminated string")
	}
	var r rune
	switch data[p+1] {
	case '"', '\\', '/':
		r = rune(data[p+1])
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		hi, ok := hex4(data[p+2:])
		if !ok {
			return 0, s.fail(p, "invalid \\u escape")
		}
		if !utf16.IsSurrogate(hi) {
			if decode {
				s.arena = utf8.AppendRune(s.arena, hi)
			}
			return 6, nil
		}
		if hi >= 0xDC00 {
			return 0, s.fail(p, "lone low surrogate \\u%04x", hi)
		}
		if len(data) < p+12 || data[p+6] != '\\' || data[p+7] != 'u' {
			return 0, s.fail(p, "lone high surrogate \\u%04x", hi)
		}
		lo, ok := hex4(data[p+8:])
		if !ok {
			return 0, s.fail(p+6, "invalid \\u escape")
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, s.fail(p, "lone high surrogate \\u%04x", hi)
		}
		if decode {
			s.arena = utf8.AppendRune(s.arena, utf16.DecodeRune(hi, lo))
		}
		return 12, nil
	default:
		return 0, s.fail(p, "invalid escape sequence")
	}
	if decode {
		s.arena = append(s.arena, byte(r))
	}
	return 2, nil
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at s.pos. What
// follows it is left to the caller, so "01" fails there as a stray '1'.
func (s *scanner) number() error {
	data, start := s.data, s.pos
	p := s.pos
	if data[p] == '-' {
		p++
	}
	switch {
	case p < len(data) && data[p] == '0':
		p++
	case p < len(data) && isDigit(data[p]):
		p = skipDigits(data, p)
	default:
		return s.fail(start, "invalid number: expected digit")
	}
	if p < len(data) && data[p] == '.' {
		p++
		if p == len(data) || !isDigit(data[p]) {
			return s.fail(start, "invalid number: expected digit after '.'")
		}
		p = skipDigits(data, p)
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		if p == len(data) || !isDigit(data[p]) {
			return s.fail(start, "invalid number: expected digit in exponent")
		}
		p = skipDigits(data, p)
	}
	s.pos = p
	return nil
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return s.fail(s.pos, "invalid literal, expected %s", lit)
	}
	s.pos += len(lit)
	return nil
}

func (s *scanner) skipSpace() {
	p := s.pos // a local keeps the loop in registers
	for p < len(s.data) {
		switch s.data[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			s.pos = p
			return
		}
	}
	s.pos = p
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(data []byte, p int) int {
	for p < len(data) && isDigit(data[p]) {
		p++
	}
	return p
}

// unexpected reports the byte at s.pos, which is not what was wanted.
func (s *scanner) unexpected(want string) error {
	if s.pos == len(s.data) {
		return s.fail(s.pos, "unexpected end of input, expected %s", want)
	}
	r, size := utf8.DecodeRune(s.data[s.pos:])
	if r == utf8.RuneError && size == 1 {
		return s.fail(s.pos, "invalid UTF-8 byte 0x%02x", s.data[s.pos])
	}
	return s.fail(s.pos, "unexpected character %q, expected %s", r, want)
}

// fail builds the error; the path is only assembled here, on the slow path.
func (s *scanner) fail(off int, format string, args ...any) error {
	return &Error{Offset: int64(off), Path: s.path(), Msg: fmt.Sprintf(format, args...)}
}

// path renders the open containers as "Patient.name[0].given".
func (s *scanner) path() string {
	var b strings.Builder
	if s.hasRoot {
		writeShort(&b, s.arena[s.root.off:s.root.end])
	} else {
		b.WriteByte('$')
	}
	var num [20]byte
	for _, f := range s.stack {
		switch {
		case !f.obj:
			b.WriteByte('[')
			b.Write(strconv.AppendInt(num[:0], int64(f.index), 10))
			b.WriteByte(']')
		case f.cur >= 0:
			k := s.keys[f.cur]
			b.WriteByte('.')
			writeShort(&b, s.arena[k.off:k.end])
		}
	}
	return b.String()
}

// maxShown bounds how much of a client-supplied key or resourceType goes into
// an error, so a hostile body cannot make the error response huge.
const maxShown = 64

// short cuts b to at most maxShown bytes on a rune boundary.
func short(b []byte) (cut []byte, truncated bool) {
	if len(b) <= maxShown {
		return b, false
	}
	n := maxShown
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n], true
}

func writeShort(sb *strings.Builder, b []byte) {
	b, truncated := short(b)
	sb.Write(b)
	if truncated {
		sb.WriteString("...")
	}
}

// quoteKey quotes a key for a message.
func quoteKey(k []byte) string {
	k, truncated := short(k)
	if truncated {
		return strconv.Quote(string(k)) + "..."
	}
	return strconv.Quote(string(k))
}
