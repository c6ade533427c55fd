package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalelab/scalelab/analysis"
)

// thresholdHelp is --threshold's help.
const thresholdHelp = `threshold 'METRIC: EXPR' the run is judged on (repeatable), as k6 writes them: ` +
	`'latency: p(99)<200', 'latency{version:v2}: p(99.9)<=500', 'availability: rate>0.999', 'errors: count<10'; ` +
	`a trailing ', abortOnFail' stops the run when it fails (exit 108), ', abortOnFail, delayAbortEval=10s' not before 10s; ` +
	`a failed threshold or one with no data exits 99`

// parseThresholdFlag reads one --threshold: METRIC: EXPR[, abortOnFail[,
// delayAbortEval=D]], the metric split from the expression at the first
// colon outside braces (latency{version:v2}: p(99)<200).
func parseThresholdFlag(v string) (analysis.Threshold, error) {
	depth, cut := 0, -1
	for i, c := range v {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ':':
			if depth == 0 && cut < 0 {
				cut = i
			}
		}
	}
	if cut < 0 && strings.HasPrefix(strings.TrimSpace(v), "generator.") {
		// generator.saturated == false: the probe's dotted spelling.
		cut = strings.Index(v, ".")
	}
	if cut < 0 {
		return analysis.Threshold{}, badInput("--threshold %q: want METRIC: EXPR, such as 'latency: p(99)<200'", v)
	}
	key, rest := v[:cut], v[cut+1:]
	parts := strings.Split(rest, ",")
	th, err := analysis.ParseThreshold(key, parts[0])
	if err != nil {
		return th, badInput("--threshold %q: %v", v, err)
	}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		name, val, hasVal := strings.Cut(p, "=")
		switch {
		case name == "abortOnFail" && !hasVal:
			th.AbortOnFail = true
		case name == "delayAbortEval" && hasVal:
			d, err := analysis.ParseDuration(strings.TrimSpace(val))
			if err != nil {
				return th, badInput("--threshold %q: delayAbortEval: %v", v, err)
			}
			th.DelayAbortEval = d
		default:
			return th, badInput("--threshold %q: unknown option %q: after the expression, only abortOnFail and delayAbortEval=DURATION", v, p)
		}
	}
	if errs := th.Validate(); len(errs) > 0 {
		return th, badInput("--threshold %q: %v", v, errors.Join(errs...))
	}
	return th, nil
}

// parseThresholds reads every --threshold, or the first bad one.
func (f *loadFlags) parseThresholds() error {
	f.ths = nil
	for _, v := range f.thresholds {
		th, err := parseThresholdFlag(v)
		if err != nil {
			return err
		}
		f.ths = append(f.ths, th)
	}
	return nil
}

// checkJUnit refuses a --junit file that cannot be written: an empty
// name, a folder, or a folder that does not exist.
func (f *loadFlags) checkJUnit() error {
	if f.junit == "" {
		return nil
	}
	if strings.ContainsRune(f.junit, 0) {
		return badInput("--junit %q: a NUL in the file name", f.junit)
	}
	if st, err := os.Stat(f.junit); err == nil && st.IsDir() {
		return badInput("--junit %s: a folder; name a file", f.junit)
	}
	if st, err := os.Stat(filepath.Dir(f.junit)); err != nil || !st.IsDir() {
		return badInput("--junit %s: no folder %s to write it in", f.junit, filepath.Dir(f.junit))
	}
	return nil
}
