package seed

import (
	"math/rand/v2"
	"strings"
)

// culture is a naming tradition. Names carry their accents and letters
// (ñ, ø, ł, ğ, đ, ð…) because the server must search them accent-insensitively.
type culture struct {
	weight         int    // relative frequency in the clinic's population
	language       string // BCP-47 code of the preferred language; "" for English
	languageName   string
	male, female   []string
	family         []string
	feminineFamily func(string) string // the family name's feminine form, if the language has one
	doubleFamily   bool                // two family names (Spanish)
}

var cultures = []culture{
	{
		weight: 30,
		male:   []string{"James", "Michael", "Robert", "David", "William", "Daniel", "Matthew", "Anthony", "Joshua", "Ryan"},
		female: []string{"Jennifer", "Sarah", "Emily", "Jessica", "Ashley", "Amanda", "Megan", "Rachel", "Zoë", "Renée"},
		family: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore"},
	},
	{
		weight: 20, language: "es", languageName: "Spanish", doubleFamily: true,
		male:   []string{"José", "Jesús", "Andrés", "Martín", "Raúl", "Álvaro", "Joaquín", "Sebastián", "Tomás", "Iván", "José Ángel"},
		female: []string{"María", "Lucía", "Inés", "Sofía", "Mónica", "Begoña", "Ángela", "Marisol", "Verónica", "María José"},
		family: []string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Núñez", "Peña", "Jiménez", "Muñoz", "Ibáñez", "Gómez", "Díaz"},
	},
	{
		weight: 6, language: "fr", languageName: "French",
		male:   []string{"François", "Jérôme", "Benoît", "Étienne", "Léon", "Noël", "Gaël", "Rémi", "Loïc", "Jean-Hervé"},
		female: []string{"Hélène", "Chloé", "Élodie", "Mélanie", "Noémie", "Cécile", "Adèle", "Françoise", "Anaïs", "Marie-Ève"},
		family: []string{"Lefèvre", "Gérard", "Bérubé", "Côté", "Lévesque", "Hébert", "Gagné", "Thériault", "Dupré", "Bélanger", "Fréchette", "Moreau"},
	},
	{
		weight: 5, language: "de", languageName: "German",
		male:   []string{"Jürgen", "Jörg", "Günter", "Lukas", "Matthias", "Uwe", "Dieter", "Björn"},
		female: []string{"Käthe", "Anneliese", "Bärbel", "Jutta", "Lena", "Ursula", "Hannelore", "Mareike"},
		family: []string{"Müller", "Schröder", "Schäfer", "Köhler", "Böhm", "Krüger", "Weiß", "Groß", "Fuchs", "Wagner"},
	},
	{
		weight: 8, language: "vi", languageName: "Vietnamese",
		male:   []string{"Minh", "Đức", "Quốc", "Thành", "Huy", "Tuấn", "Dũng"},
		female: []string{"Linh", "Thảo", "Ngọc", "Hương", "Trang", "Phương", "Hằng"},
		family: []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"},
	},
	{
		weight: 5, language: "pl", languageName: "Polish", feminineFamily: polishFeminine,
		male:   []string{"Łukasz", "Paweł", "Michał", "Krzysztof", "Wojciech", "Mikołaj"},
		female: []string{"Małgorzata", "Agnieszka", "Zofia", "Żaneta", "Jolanta", "Bożena"},
		family: []string{"Wójcik", "Kowalczyk", "Woźniak", "Kamiński", "Lewandowski", "Dąbrowski", "Zieliński", "Szymański", "Wiśniewski"},
	},
	{
		weight: 3, language: "da", languageName: "Danish",
		male:   []string{"Søren", "Bjørn", "Jørgen", "Anders", "Mads", "Nikolaj"},
		female: []string{"Åse", "Ingrid", "Sølvi", "Mette", "Signe", "Birgitte"},
		family: []string{"Sørensen", "Jørgensen", "Østergaard", "Ålund", "Bjørnstad", "Møller", "Kjær"},
	},
	{
		weight: 4,
		male:   []string{"Seán", "Pádraig", "Ciarán", "Eoin", "Dónal", "Tadhg"},
		female: []string{"Siobhán", "Aoife", "Niamh", "Róisín", "Saoirse", "Máire"},
		family: []string{"O'Brien", "Ó Súilleabháin", "Mac Cárthaigh", "Ó Néill", "Kelly", "Byrne", "Walsh", "Ó Ceallaigh"},
	},
	{
		weight: 6, language: "pt", languageName: "Portuguese",
		male:   []string{"João", "Antônio", "Sérgio", "Vinícius", "Luís", "Gonçalo"},
		female: []string{"Conceição", "Inês", "Letícia", "Lúcia", "Vitória", "Natália"},
		family: []string{"Gonçalves", "Conceição", "Magalhães", "Simões", "Araújo", "Guimarães", "Sá", "Brandão"},
	},
	{
		weight: 3, language: "tr", languageName: "Turkish",
		male:   []string{"Çağlar", "Oğuz", "Emre", "Gökhan", "Mustafa", "İlker"},
		female: []string{"Gül", "Şule", "Ayşe", "Özlem", "Gülşen", "Elif"},
		family: []string{"Öztürk", "Yılmaz", "Çelik", "Şahin", "Doğan", "Aydın", "Kılıç", "Güneş"},
	},
	{
		weight: 3, language: "cs", languageName: "Czech", feminineFamily: czechFeminine,
		male:   []string{"Jiří", "Tomáš", "Lukáš", "Miloš", "Radek", "Václav"},
		female: []string{"Jitka", "Markéta", "Zdeňka", "Lenka", "Tereza", "Božena"},
		family: []string{"Dvořák", "Novák", "Černý", "Procházka", "Kučera", "Veselý", "Horák"},
	},
	{
		weight: 5, language: "zh", languageName: "Chinese",
		male:   []string{"Wei", "Hao", "Lei", "Jun", "Zhìyuǎn", "Bo"},
		female: []string{"Jing", "Xiu Ying", "Mei", "Lìnà", "Yan", "Xīn"},
		family: []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Lǚ", "Zhōu"},
	},
	{
		weight: 2, language: "is", languageName: "Icelandic", feminineFamily: icelandicFeminine,
		male:   []string{"Þór", "Guðmundur", "Ólafur", "Sigurður", "Einar"},
		female: []string{"Guðrún", "Sigríður", "Þórunn", "Ásdís", "Hildur"},
		family: []string{"Jónsson", "Þórsson", "Ólafsson", "Guðmundsson", "Einarsson"},
	},
}

// cultureWeightTotal is the sum of the weights, for weighted choice.
var cultureWeightTotal = func() int {
	n := 0
	for _, c := range cultures {
		n += c.weight
	}
	return n
}()

func pickCulture(r *rand.Rand) *culture {
	n := r.IntN(cultureWeightTotal)
	for i := range cultures {
		if n < cultures[i].weight {
			return &cultures[i]
		}
		n -= cultures[i].weight
	}
	return &cultures[0]
}

// name draws a full name for gender ("male", "female" or anything else).
func (c *culture) name(r *rand.Rand, gender string) HumanName {
	female := gender == "female" || (gender != "male" && r.IntN(2) == 0)
	given := pick(r, c.male)
	if female {
		given = pick(r, c.female)
	}
	family := pick(r, c.family)
	if c.doubleFamily {
		family += " " + pick(r, c.family)
	}
	if female && c.feminineFamily != nil {
		family = c.feminineFamily(family)
	}
	return HumanName{Use: "official", Family: family, Given: []string{given}}
}

// polishFeminine gives the feminine form of adjectival surnames (Kamiński → Kamińska).
func polishFeminine(s string) string {
	for _, suf := range []string{"ski", "cki", "dzki"} {
		if strings.HasSuffix(s, suf) {
			return strings.TrimSuffix(s, "i") + "a"
		}
	}
	return s
}

// czechFeminine gives the feminine surname (Novák → Nováková, Černý → Černá).
func czechFeminine(s string) string {
	switch {
	case strings.HasSuffix(s, "ý"):
		return strings.TrimSuffix(s, "ý") + "á"
	case strings.HasSuffix(s, "a"):
		return strings.TrimSuffix(s, "a") + "ová"
	}
	return s + "ová"
}

// icelandicFeminine turns a patronymic son into a daughter (Jónsson → Jónsdóttir).
func icelandicFeminine(s string) string {
	if rest, ok := strings.CutSuffix(s, "son"); ok {
		return rest + "dóttir"
	}
	return s
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }
