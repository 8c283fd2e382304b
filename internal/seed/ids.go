package seed

import "fmt"

// Every id is derived from the patient's number and a per-patient counter,
// so a re-run writes the same ids and an import of it can be idempotent.
// They are FHIR ids: [A-Za-z0-9-.]{1,64}.

// PatientID is the id of patient n (1-based): p-000001.
func PatientID(n int) string { return fmt.Sprintf("p-%06d", n) }

func observationID(n, k int) string    { return fmt.Sprintf("obs-%06d-%04d", n, k) }
func specimenID(n, k int) string       { return fmt.Sprintf("spec-%06d-%02d", n, k) }
func administrationID(n, k int) string { return fmt.Sprintf("ma-%06d-%02d", n, k) }
func requestID(n, k int) string        { return fmt.Sprintf("mr-%06d-%02d", n, k) }
func appointmentID(n, k int) string    { return fmt.Sprintf("appt-%06d-%02d", n, k) }
func practitionerID(k int) string      { return fmt.Sprintf("prac-%04d", k) }
func locationID(k int) string          { return fmt.Sprintf("room-%03d", k) }

// permutation maps 0…m-1 onto itself one to one (x → a·x + b mod m with a
// coprime to m), so identifiers look random yet never repeat.
type permutation struct{ a, b, m uint64 }

func newPermutation(m, seed uint64) permutation {
	a := splitmix(seed)%m | 1
	for gcd(a, m) != 1 {
		a = (a + 2) % m
	}
	return permutation{a: a, b: splitmix(seed+1) % m, m: m}
}

// at is the image of x; x must be below m. The product is taken modulo m
// in two halves so that it cannot overflow for m < 2^32.
func (p permutation) at(x uint64) uint64 {
	return (p.a%p.m*(x%p.m)%p.m + p.b) % p.m
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// splitmix is SplitMix64's finaliser: it spreads a seed over all bits.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// mrnSpace and ssnSpace bound the identifiers: 8-digit MRNs; SSNs with an
// area 001–665 (never 000, 666 or 9xx), a group 01–99 and a serial 0001–9999.
const (
	mrnSpace = 100_000_000
	ssnSpace = 665 * 99 * 9999
)

func formatMRN(x uint64) string { return fmt.Sprintf("%08d", x) }

func formatSSN(x uint64) string {
	area := x/(99*9999) + 1
	group := x/9999%99 + 1
	serial := x%9999 + 1
	return fmt.Sprintf("%03d-%02d-%04d", area, group, serial)
}
