package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store"
)

// auditRow is the flat view of an AuditEvent used by export and accounting.
type auditRow struct {
	Seq          int64
	ID           string
	Recorded     string
	Action       string
	Subtype      string
	Outcome      string
	OutcomeDesc  string
	Who          string
	Client       string
	Address      string
	PurposeOfUse string
	Entities     string
	Patients     string
}

var csvHeader = []string{"seq", "id", "recorded", "action", "subtype", "outcome", "outcome_desc", "who", "client", "address", "purpose_of_use", "entities", "patients"}

func (r auditRow) csv() []string {
	return []string{strconv.FormatInt(r.Seq, 10), r.ID, r.Recorded, r.Action, r.Subtype, r.Outcome, r.OutcomeDesc,
		r.Who, r.Client, r.Address, r.PurposeOfUse, r.Entities, r.Patients}
}

// rowOf flattens an AuditEvent as the recorder writes it.
func rowOf(seq int64, body []byte) (auditRow, error) {
	var ev struct {
		ID          string `json:"id"`
		Recorded    string `json:"recorded"`
		Action      string `json:"action"`
		Outcome     string `json:"outcome"`
		OutcomeDesc string `json:"outcomeDesc"`
		Subtype     []struct {
			Code string `json:"code"`
		} `json:"subtype"`
		Agent []struct {
			Requestor bool   `json:"requestor"`
			Name      string `json:"name"`
			AltID     string `json:"altId"`
			Who       struct {
				Reference  string `json:"reference"`
				Identifier struct {
					Value string `json:"value"`
				} `json:"identifier"`
			} `json:"who"`
			Network struct {
				Address string `json:"address"`
			} `json:"network"`
			PurposeOfUse []struct {
				Coding []struct {
					Code string `json:"code"`
				} `json:"coding"`
			} `json:"purposeOfUse"`
		} `json:"agent"`
		Entity []struct {
			What struct {
				Reference string `json:"reference"`
			} `json:"what"`
			Role struct {
				Code string `json:"code"`
			} `json:"role"`
		} `json:"entity"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return auditRow{}, fmt.Errorf("decode AuditEvent: %w", err)
	}
	r := auditRow{Seq: seq, ID: ev.ID, Recorded: ev.Recorded, Action: ev.Action, Outcome: ev.Outcome, OutcomeDesc: ev.OutcomeDesc}
	for _, s := range ev.Subtype {
		r.Subtype = s.Code
	}
	var purposes, entities, patients []string
	for _, a := range ev.Agent {
		if !a.Requestor {
			continue
		}
		r.Who = a.Who.Reference
		if r.Who == "" {
			r.Who = a.Who.Identifier.Value
		}
		if r.Who == "" {
			r.Who = a.Name
		}
		r.Client, r.Address = a.AltID, a.Network.Address
		for _, p := range a.PurposeOfUse {
			for _, c := range p.Coding {
				purposes = append(purposes, c.Code)
			}
		}
	}
	for _, e := range ev.Entity {
		if e.What.Reference == "" {
			continue
		}
		if e.Role.Code == "1" {
			patients = append(patients, e.What.Reference)
		} else {
			entities = append(entities, e.What.Reference)
		}
	}
	r.PurposeOfUse, r.Entities, r.Patients = strings.Join(purposes, " "), strings.Join(entities, " "), strings.Join(patients, " ")
	return r, nil
}

func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit export", "audit export [--from TIME] [--to TIME] [--format ndjson|csv] [--out FILE]",
		`  EHR_STORE=sqlite:data/ehr.db ehrctl audit export --from 2026-11-01 --to 2026-12-01 --format csv --out november.csv
  ehrctl audit export --format ndjson > audit.ndjson
`, stderr)
	from := fs.String("from", "", "first instant or date to include (recorded >= from)")
	to := fs.String("to", "", "instant or date to stop before (recorded < to)")
	format := fs.String("format", "ndjson", "ndjson (the AuditEvents as stored) or csv (one flat row per event)")
	out := fs.String("out", "", "output file (default: standard output)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *format != "ndjson" && *format != "csv" {
		return fmt.Errorf("--format must be ndjson or csv")
	}
	lo, err := parseWhen(*from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	hi, err := parseWhen(*to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
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

	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("create %s: %w", *out, err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	size, err := st.LogSize(ctx)
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("exporting"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
		progressbar.OptionSetVisibility(!*quiet), progressbar.OptionThrottle(100*time.Millisecond))
	var cw *csv.Writer
	if *format == "csv" {
		cw = csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
	}
	n, err := eachAuditEvent(ctx, st, size, func(seq int64, body []byte) error {
		_ = bar.Add(1)
		row, err := rowOf(seq, body)
		if err != nil {
			return err
		}
		if t, err := time.Parse(time.RFC3339Nano, row.Recorded); err == nil {
			if (!lo.IsZero() && t.Before(lo)) || (!hi.IsZero() && !t.Before(hi)) {
				return errSkip
			}
		}
		if cw != nil {
			return cw.Write(row.csv())
		}
		if _, err := bw.Write(body); err != nil {
			return err
		}
		return bw.WriteByte('\n')
	})
	_ = bar.Finish()
	if err != nil {
		return err
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	fmt.Fprintf(stderr, "exported %d of %d audit events\n", n, size)
	return nil
}

var errSkip = errors.New("skip")

// eachAuditEvent streams the log in sequence order, in chunks, calling fn
// with each record's stored body; fn returning errSkip leaves it uncounted.
func eachAuditEvent(ctx context.Context, st store.Store, size int64, fn func(seq int64, body []byte) error) (int, error) {
	const chunk = 1000
	n := 0
	for from := int64(0); from < size; from += chunk {
		entries, err := st.LogEntries(ctx, from, min(from+chunk, size))
		if err != nil {
			return n, fmt.Errorf("read log entries from %d: %w", from, err)
		}
		for _, e := range entries {
			body := e.Body
			if body == nil { // stored before the log kept bodies: the AuditEvent has it
				r, err := st.ReadVersion(ctx, "AuditEvent", e.ResourceID, 1)
				if err != nil {
					return n, fmt.Errorf("read audit record %d: %w", e.Seq, err)
				}
				body = r.Body
			}
			switch err := fn(e.Seq, body); {
			case errors.Is(err, errSkip):
			case err != nil:
				return n, err
			default:
				n++
			}
		}
	}
	return n, nil
}

// parseWhen accepts an RFC 3339 instant or a date (midnight UTC).
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want 2026-11-01 or 2026-11-01T08:00:00Z, got %q", s)
	}
	return t, nil
}
