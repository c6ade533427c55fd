package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/scalelab/scalelab/engine"
)

// WriteText prints the summary for people.
func (r Summary) WriteText(w io.Writer) {
	s := r.Summary
	fmt.Fprintf(w, "\nscalelab %s %s (%s)\n\n", r.Command, r.Target, r.Model)
	r.writeModelChanges(w)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "  %-17s %s\n", label, fmt.Sprintf(format, args...))
	}
	line("requests", "%d in %.3fs, %.1f req/s", s.Requests, s.DurationS, s.RPS)
	line("latency", "%s", pctLine(s.LatencyMs))
	line("latency, ok", "%s", pctLine(s.OKLatencyMs))
	line("latency, failed", "%s", pctLine(s.FailedLatencyMs))
	line("service time", "%s", pctLine(s.ServiceMs))
	if s.ConnectMs != nil {
		line("connect", "%s   (%d connections opened)", pctLine(*s.ConnectMs), s.ConnectionsOpened)
	}
	line("status", "%s", countsLine(s.Status, true))
	line("transport errors", "%s", countsLine(s.Errors, false))
	for _, class := range slices.Sorted(maps.Keys(s.ErrorDetail)) {
		line("  "+class, "%s", countsLine(s.ErrorDetail[class], false)) // its causes, under the line
	}
	line("failed", "%d (transport errors and 5xx)", s.Failed)
	line("dropped", "%d   late %d   max lag %s", s.Dropped, s.Late, ms(s.LagMaxMs))
	if g := r.Generator; g != nil {
		line("generator", "%s", g.line())
	}
	writeScrape(w, r.Scrape)
	writeAgents(w, r.Agents)
	if rs := s.RetrySummary; rs != nil {
		line("availability", "%.3f%% raw (each attempt)   %.3f%% effective (each request)", rs.RawAvailability*100,
			rs.EffectiveAvailability*100)
		line("retries", "%d for %d requests: %d attempts, %.3f per request; budget exhausted %d", rs.Retries,
			rs.EffectiveRequests, rs.Attempts, rs.Amplification, rs.RetriesBudgetExhausted)
		line("effective latency", "%s", pctLine(rs.EffectiveLatencyMs))
	} else {
		line("availability", "%.3f%%", s.Availability*100)
	}
	line("bytes", "in %d, out %d", s.BytesIn, s.BytesOut)
	writeVersions(w, s.ByVersion)
	if r.Search != nil {
		r.Search.WriteSearch(w)
	}
}

// writeVersions prints the by-version table (failed: transport errors and
// 5xx; errors: transport errors), nothing when no answer named its
// version.
func writeVersions(w io.Writer, byVersion map[string]engine.VersionSummary) {
	if len(byVersion) == 0 {
		return
	}
	names := make([]string, 0, len(byVersion))
	width := len("version")
	for name := range byVersion {
		names = append(names, name)
		width = max(width, utf8.RuneCountInString(printable(name)))
	}
	slices.SortFunc(names, engine.CompareVersionNames)
	fmt.Fprintf(w, "\n  by version\n")
	fmt.Fprintf(w, "    %-*s  %10s  %8s  %8s  %12s  %8s  %8s  %8s\n", width, "version", "requests", "failed", "errors",
		"availability", "p50", "p99", "max")
	for _, name := range names {
		v := byVersion[name]
		fmt.Fprintf(w, "    %-*s  %10d  %8d  %8d  %11.3f%%  %8s  %8s  %8s\n", width, printable(name), v.Requests, v.Failed,
			v.Errors, v.Availability*100, ms(v.LatencyMs.P50), ms(v.LatencyMs.P99), ms(v.LatencyMs.Max))
	}
}

// printable replaces what a terminal would interpret in a name the target
// chose (control characters, invalid UTF-8) with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

func pctLine(p engine.Percentiles) string {
	return fmt.Sprintf("p50 %s  p90 %s  p95 %s  p99 %s  p99.9 %s  max %s  mean %s",
		ms(p.P50), ms(p.P90), ms(p.P95), ms(p.P99), ms(p.P999), ms(p.Max), ms(p.Mean))
}

// countsLine lists counts sorted by key (numerically for status codes).
func countsLine(m map[string]uint64, numeric bool) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if numeric {
			a, _ := strconv.Atoi(keys[i])
			b, _ := strconv.Atoi(keys[j])
			return a < b
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// ms formats milliseconds with a precision fit for the magnitude.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	default:
		return fmt.Sprintf("%.2fms", v)
	}
}
