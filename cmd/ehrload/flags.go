package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/clinic/ehr/internal/load"
)

// datasetFlags registers the dataset's size flags on fs.
func datasetFlags(fs *flag.FlagSet) *load.Dataset {
	d := load.DefaultDataset()
	fs.IntVar(&d.Patients, "patients", d.Patients, "seeded patients")
	fs.IntVar(&d.Observations, "observations", d.Observations, "seeded vital-sign Observations, spread over the patients")
	fs.IntVar(&d.Appointments, "appointments", d.Appointments, "seeded appointments per patient")
	fs.IntVar(&d.Practitioners, "practitioners", d.Practitioners, "practitioners the appointments rotate among")
	fs.Uint64Var(&d.Seed, "data-seed", d.Seed, "seed of the generated data")
	return &d
}

// listFlag is a repeatable KEY=VALUE flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	*l = append(*l, v)
	return nil
}

// envMap turns KEY=VALUE pairs into a map.
func envMap(l []string) map[string]string {
	m := map[string]string{}
	for _, kv := range l {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
