package importer

import "slices"

// span is the half-open range of item numbers [From, To).
type span struct{ From, To int }

// spanSet is a union of spans, kept sorted and merged, so that a file of
// millions of lines imported in batches costs a handful of entries.
type spanSet []span

// add merges s into the set.
func (set *spanSet) add(s span) {
	if s.From >= s.To {
		return
	}
	out := make(spanSet, 0, len(*set)+1)
	i := 0
	for ; i < len(*set) && (*set)[i].To < s.From; i++ {
		out = append(out, (*set)[i])
	}
	for ; i < len(*set) && (*set)[i].From <= s.To; i++ {
		s.From = min(s.From, (*set)[i].From)
		s.To = max(s.To, (*set)[i].To)
	}
	out = append(out, s)
	out = append(out, (*set)[i:]...)
	*set = out
}

// contains reports whether item n is in the set.
func (set spanSet) contains(n int) bool {
	i, found := slices.BinarySearchFunc(set, n, func(s span, n int) int {
		switch {
		case s.To <= n:
			return -1
		case s.From > n:
			return 1
		}
		return 0
	})
	return found && i < len(set)
}

// covers reports whether every item of s is in the set.
func (set spanSet) covers(s span) bool {
	if s.From >= s.To {
		return true
	}
	for _, x := range set {
		if x.From <= s.From && s.To <= x.To {
			return true
		}
	}
	return false
}
