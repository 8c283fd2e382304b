package seed

import (
	"fmt"
	"math/rand/v2"
)

// city is where a patient lives: its state, the first digits of its ZIP
// codes and its telephone area code.
type city struct {
	name, state, zip3, area string
}

var cities = []city{
	{"Springfield", "IL", "627", "217"},
	{"Boston", "MA", "021", "617"},
	{"Austin", "TX", "787", "512"},
	{"Miami", "FL", "331", "305"},
	{"Seattle", "WA", "981", "206"},
	{"Chicago", "IL", "606", "312"},
	{"San Antonio", "TX", "782", "210"},
	{"Denver", "CO", "802", "303"},
	{"Portland", "OR", "972", "503"},
	{"Minneapolis", "MN", "554", "612"},
	{"Albuquerque", "NM", "871", "505"},
	{"Providence", "RI", "029", "401"},
	{"Madison", "WI", "537", "608"},
	{"Tucson", "AZ", "857", "520"},
	{"Española", "NM", "875", "505"},
}

var streets = []string{
	"Maple Street", "Oak Avenue", "Elm Street", "Cedar Lane", "Washington Boulevard",
	"Lake Drive", "Park Avenue", "Hillcrest Road", "Mill Road", "Camino del Río",
	"Avenida César Chávez", "Rue Saint-Honoré", "Calle Peñasco", "Beacon Street",
}

// address draws a home address.
func address(r *rand.Rand, c *city) Address {
	a := Address{
		Use:        "home",
		Line:       []string{fmt.Sprintf("%d %s", 1+r.IntN(9899), pick(r, streets))},
		City:       c.name,
		State:      c.state,
		PostalCode: fmt.Sprintf("%s%02d", c.zip3, r.IntN(100)),
		Country:    "US",
	}
	if r.IntN(5) == 0 {
		a.Line = append(a.Line, fmt.Sprintf("Apt %d", 1+r.IntN(40)))
	}
	return a
}

// phone draws a number in the 555-0100…0199 block, which US numbering
// reserves for fiction, so no real person is ever dialled.
func phone(r *rand.Rand, c *city) string {
	return fmt.Sprintf("+1 %s 555 01%02d", c.area, r.IntN(100))
}
