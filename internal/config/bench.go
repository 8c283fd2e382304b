package config

import (
	"fmt"
	"strconv"
)

// loadBench reads the benchmark-only variables. Whether EHR_BENCH_AUDIT may
// be honoured at all is internal/app's decision (it depends on a build
// tag); here only its spelling is checked, so a typo never passes for "on".
func (c *Config) loadBench(get func(string) string) error {
	var err error
	if c.BenchStaticRoute, err = strconv.ParseBool(get("EHR_BENCH_STATIC_ROUTE")); err != nil {
		return fmt.Errorf("EHR_BENCH_STATIC_ROUTE: %w", err)
	}
	switch c.BenchAudit = get("EHR_BENCH_AUDIT"); c.BenchAudit {
	case "", "on", "off":
		return nil
	}
	return fmt.Errorf("EHR_BENCH_AUDIT must be on or off, not %q", c.BenchAudit)
}
