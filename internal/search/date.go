package search

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Date parameters. Entry: Lo, Hi = the inclusive range in Unix milliseconds
// that a date, dateTime, instant, Period or Timing.event covers. Partial
// dates are ranges ("2024" is the whole year), zones are honoured, and a
// dateTime without a zone is taken as UTC. An open Period end is the
// earliest or latest instant FHIR can write (years 0001 and 9999), which
// stay finite so that every backend and JSON can hold them.
//
// Query: a prefix (prefix.go) and yyyy, yyyy-mm, yyyy-mm-dd or a dateTime;
// ap widens the range by 10% of its distance from now.

type dateKind struct{}

const (
	minTime = -62135596800000.0 // 0001-01-01T00:00:00.000Z
	maxTime = 253402300799999.0 // 9999-12-31T23:59:59.999Z
)

// now is the clock of ap on dates; tests replace it.
var now = time.Now

func (dateKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	add := func(lo, hi float64) {
		out = append(out, IndexEntry{Param: p.Code, Lo: ptr(lo), Hi: ptr(hi)})
	}
	for _, it := range items {
		switch v := it.v.(type) {
		case string:
			lo, hi, err := parseDateRange(v)
			if err != nil {
				return nil, err
			}
			add(lo, hi)
		case map[string]any:
			if hasAny(v, "start", "end") { // Period
				lo, hi, err := periodRange(v)
				if err != nil {
					return nil, err
				}
				add(lo, hi)
			}
			events, _ := v["event"].([]any) // Timing
			for _, e := range events {
				if s, ok := e.(string); ok {
					lo, hi, err := parseDateRange(s)
					if err != nil {
						return nil, err
					}
					add(lo, hi)
				}
			}
		}
	}
	return out, nil
}

func periodRange(period map[string]any) (lo, hi float64, err error) {
	lo, hi = minTime, maxTime
	if s := str(period, "start"); s != "" {
		if lo, _, err = parseDateRange(s); err != nil {
			return 0, 0, err
		}
	}
	if s := str(period, "end"); s != "" {
		if _, hi, err = parseDateRange(s); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

func (dateKind) sortValue(e IndexEntry) (any, bool) { return lowEnd(e) }

func (k dateKind) query(p *Param, mod, value string) (Expr, error) {
	if mod != "" {
		return nil, errUnsupportedModifier(mod)
	}
	conds, negate, err := k.partConds(p, value)
	if err != nil {
		return nil, err
	}
	return matchOrNot(p.Code, conds, negate), nil
}

func (dateKind) partConds(p *Param, value string) ([]Cond, bool, error) {
	pfx, date, err := splitPrefix(value)
	if err != nil {
		return nil, false, err
	}
	lo, hi, err := parseDateRange(date)
	if err != nil {
		return nil, false, err
	}
	if pfx == pfxAp {
		gap := math.Abs(float64(now().UnixMilli())-lo) / 10
		lo, hi = lo-gap, hi+gap
	}
	conds, negate := rangeConds(pfx, lo, hi, FieldLo, FieldHi)
	return conds, negate, nil
}

// parseDateRange reads yyyy, yyyy-mm, yyyy-mm-dd or
// yyyy-mm-ddThh:mm[:ss[.fff]][Z|±hh:mm] and returns the first and last
// millisecond it covers. A space stands for '+' in the zone, as an
// unencoded '+' in a query string arrives as one.
func parseDateRange(s string) (lo, hi float64, err error) {
	bad := fmt.Errorf("%q is not a date (yyyy, yyyy-mm, yyyy-mm-dd or yyyy-mm-ddThh:mm:ss with a zone)", s)
	r := &dateReader{s: s}
	year := r.digits(4)
	month, day, hour, minute, sec, nsec := 1, 1, 0, 0, 0, 0
	next := func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	if r.more() {
		r.expect('-')
		month = r.digits(2)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	}
	if r.more() {
		r.expect('-')
		day = r.digits(2)
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	}
	loc := time.UTC
	if r.more() {
		r.expect('T')
		hour = r.digits(2)
		r.expect(':')
		minute = r.digits(2)
		step := time.Minute
		if r.peek() == ':' {
			r.expect(':')
			sec = r.digits(2)
			step = time.Second
			if r.peek() == '.' {
				r.expect('.')
				nsec, step = r.fraction()
			}
		}
		next = func(t time.Time) time.Time { return t.Add(step) }
		loc = r.zone()
	}
	if r.bad || r.more() || year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, bad
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day || t.Month() != time.Month(month) { // 2023-02-30
		return 0, 0, bad
	}
	return unixMilli(t), unixMilli(next(t)) - 1, nil
}

// unixMilli floors to the millisecond, also before 1970.
func unixMilli(t time.Time) float64 {
	return float64(t.Unix()*1000 + int64(t.Nanosecond()/1e6))
}

// dateReader consumes a date left to right; any mismatch sets bad.
type dateReader struct {
	s   string
	i   int
	bad bool
}

func (r *dateReader) more() bool { return !r.bad && r.i < len(r.s) }

func (r *dateReader) peek() byte {
	if r.bad || r.i >= len(r.s) {
		return 0
	}
	return r.s[r.i]
}

func (r *dateReader) expect(c byte) {
	if r.peek() != c {
		r.bad = true
		return
	}
	r.i++
}

func (r *dateReader) digits(n int) int {
	if r.bad || r.i+n > len(r.s) || !isDigits(r.s[r.i:r.i+n]) {
		r.bad = true
		return 0
	}
	v, _ := strconv.Atoi(r.s[r.i : r.i+n])
	r.i += n
	return v
}

// fraction reads fractional seconds: nanoseconds truncated to the
// millisecond, and the precision they express (.5 → 100ms, .123 → 1ms).
func (r *dateReader) fraction() (int, time.Duration) {
	start := r.i
	for r.i < len(r.s) && '0' <= r.s[r.i] && r.s[r.i] <= '9' {
		r.i++
	}
	frac := r.s[start:r.i]
	if frac == "" {
		r.bad = true
		return 0, time.Millisecond
	}
	ms := (frac + "00")[:3]
	v, _ := strconv.Atoi(ms)
	step := time.Millisecond
	switch len(frac) {
	case 1:
		step = 100 * time.Millisecond
	case 2:
		step = 10 * time.Millisecond
	}
	return v * 1e6, step
}

// zone reads Z, ±hh:mm or nothing (UTC).
func (r *dateReader) zone() *time.Location {
	switch c := r.peek(); c {
	case 0:
		return time.UTC
	case 'Z':
		r.i++
		return time.UTC
	case '+', '-', ' ':
		r.i++
		h := r.digits(2)
		r.expect(':')
		m := r.digits(2)
		if h > 14 || m > 59 {
			r.bad = true
		}
		offset := (h*60 + m) * 60
		if c == '-' {
			offset = -offset
		}
		return time.FixedZone("", offset)
	}
	r.bad = true
	return time.UTC
}
