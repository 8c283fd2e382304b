package search

import "strings"

// MatchEntries evaluates e against one resource's index entries, in memory.
// supported is false for nodes it cannot decide without storage (Chain,
// Has) or numeric conditions: callers must then fail closed.
func MatchEntries(e Expr, id string, entries []IndexEntry) (matched, supported bool) {
	switch x := e.(type) {
	case nil:
		return true, true
	case And:
		for _, sub := range x {
			m, ok := MatchEntries(sub, id, entries)
			if !ok {
				return false, false
			}
			if !m {
				return false, true
			}
		}
		return true, true
	case Or:
		for _, sub := range x {
			m, ok := MatchEntries(sub, id, entries)
			if !ok {
				return false, false
			}
			if m {
				return true, true
			}
		}
		return false, true
	case Not:
		m, ok := MatchEntries(x.X, id, entries)
		return !m, ok
	case IDIn:
		for _, v := range x {
			if v == id {
				return true, true
			}
		}
		return false, true
	case Missing:
		found := false
		for _, en := range entries {
			found = found || en.Param == x.Param
		}
		return found != x.Missing, true
	case Match:
		for _, en := range entries {
			if en.Param != x.Param {
				continue
			}
			all := true
			for _, c := range x.Conds {
				ok, supported := condHolds(c, en)
				if !supported {
					return false, false
				}
				all = all && ok
			}
			if all {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

func condHolds(c Cond, en IndexEntry) (bool, bool) {
	var field string
	switch c.Field {
	case FieldSystem:
		field = en.System
	case FieldCode:
		field = en.Code
	case FieldText:
		field = en.Text
	default:
		return false, false
	}
	v, ok := c.Value.(string)
	if !ok {
		return false, false
	}
	switch c.Op {
	case OpEq:
		return field == v, true
	case OpPrefix:
		return strings.HasPrefix(field, v), true
	case OpContains:
		return strings.Contains(field, v), true
	}
	return false, false
}
