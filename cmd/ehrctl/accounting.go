package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// runAuditAccounting prints the accounting of disclosures for one patient:
// every recorded access to their records in a period (HIPAA 164.528).
func runAuditAccounting(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit accounting", "audit accounting --patient ID [--from DATE] [--to DATE] [--format table|csv]",
		`  EHR_STORE=sqlite:data/ehr.db ehrctl audit accounting --patient 3x7q… --from 2026-10-01 --to 2026-11-01
  ehrctl audit accounting --patient 3x7q… --format csv > accounting.csv
`, stderr)
	patient := fs.String("patient", "", "the patient's id")
	from := fs.String("from", "", "first date or instant (inclusive)")
	to := fs.String("to", "", "last date or instant (inclusive)")
	format := fs.String("format", "table", "table or csv")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *patient == "" {
		fs.Usage()
		return fmt.Errorf("--patient is required")
	}
	params := url.Values{"patient": {"Patient/" + *patient}, "_sort": {"date"}}
	if *from != "" {
		params.Add("date", "ge"+*from)
	}
	if *to != "" {
		params.Add("date", "le"+*to)
	}
	var types []string
	for _, t := range fhir.Types() {
		types = append(types, t.Name)
	}
	reg, _ := search.NewRegistry(types)
	audit.RestrictSearch(reg)
	req, err := reg.Parse("AuditEvent", params, search.Options{Strict: true})
	if err != nil {
		return fmt.Errorf("--from/--to: %w", err)
	}
	cfg, err := config.Load(nil, nil)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	// A server that stopped abruptly may have left its last records without
	// their searchable AuditEvent.
	if err := audit.CatchUp(ctx, st, audit.Index(reg)); err != nil {
		return err
	}

	q := &store.Query{Type: "AuditEvent", Where: req.Where, Count: 500}
	for _, s := range req.Sort {
		q.Sort = append(q.Sort, store.SortKey{Param: s.Param, Desc: s.Desc})
	}
	var rows []auditRow
	for {
		page, err := st.Search(ctx, q)
		if err != nil {
			return fmt.Errorf("search the audit trail: %w", err)
		}
		for _, r := range page.Resources {
			row, err := rowOf(-1, r.Body)
			if err != nil {
				return err
			}
			rows = append(rows, row)
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	if *format == "csv" {
		w := csv.NewWriter(stdout)
		_ = w.Write([]string{"recorded", "who", "client", "address", "action", "subtype", "what", "purpose_of_use", "outcome"})
		for _, r := range rows {
			_ = w.Write([]string{r.Recorded, r.Who, r.Client, r.Address, r.Action, r.Subtype, r.Entities, r.PurposeOfUse, r.Outcome})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORDED\tWHO\tCLIENT\tADDRESS\tACTION\tINTERACTION\tWHAT\tPURPOSE\tOUTCOME")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Recorded, r.Who, r.Client, r.Address, r.Action, r.Subtype, r.Entities, r.PurposeOfUse, r.Outcome)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d accesses to Patient/%s\n", len(rows), *patient)
	return nil
}
