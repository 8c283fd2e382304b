package auth

import "errors"

// Perm is a set of SMART 2 permissions.
type Perm uint8

const (
	PermCreate Perm = 1 << iota
	PermRead
	PermUpdate
	PermDelete
	PermSearch
)

// permLetters lists the SMART 2 letters in their mandatory order.
var permLetters = [...]struct {
	letter byte
	perm   Perm
}{
	{'c', PermCreate},
	{'r', PermRead},
	{'u', PermUpdate},
	{'d', PermDelete},
	{'s', PermSearch},
}

// SMART 1 permission words and their SMART 2 equivalents.
var v1Perms = map[string]Perm{
	"read":  PermRead | PermSearch,
	"write": PermCreate | PermUpdate | PermDelete,
	"*":     PermCreate | PermRead | PermUpdate | PermDelete | PermSearch,
}

// String renders the permissions as SMART 2 letters, e.g. "rs".
func (p Perm) String() string {
	b := make([]byte, 0, len(permLetters))
	for _, pl := range permLetters {
		if p&pl.perm != 0 {
			b = append(b, pl.letter)
		}
	}
	return string(b)
}

// parsePerms parses the text after the dot of a scope. v1 reports a SMART 1
// word. SMART 2 letters must be a non-empty subsequence of "cruds".
func parsePerms(s string) (p Perm, v1 bool, err error) {
	if p, ok := v1Perms[s]; ok {
		return p, true, nil
	}
	if s == "" {
		return 0, false, errors.New("empty permissions")
	}
	next := 0 // index in permLetters the next letter may start from
	for i := 0; i < len(s); i++ {
		found := false
		for next < len(permLetters) {
			pl := permLetters[next]
			next++
			if pl.letter == s[i] {
				p |= pl.perm
				found = true
				break
			}
		}
		if !found {
			return 0, false, errors.New("permissions must be a subset of cruds, in that order")
		}
	}
	return p, false, nil
}
