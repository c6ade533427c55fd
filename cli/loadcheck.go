package cli

import (
	"os"

	"github.com/scalelab/scalelab/engine"
	"github.com/spf13/pflag"
)

// check finds bad and contradictory load flags before anything starts:
// every number finite and within what the engine schedules (the reason in
// the message), the load model given once, and the request (method,
// headers, body file) one the engine can send, and the recording flags.
// fs tells which flags were given.
func (f *loadFlags) check(fs *pflag.FlagSet) error {
	rateSet, concSet, stagesSet := fs.Changed("rate"), fs.Changed("concurrency"), fs.Changed("stages")
	switch {
	case rateSet && concSet:
		return badInput("--rate and --concurrency: choose one (open or closed loop)")
	case stagesSet && (rateSet || concSet):
		return badInput("--stages sets the rate: drop --rate and --concurrency")
	case stagesSet && fs.Changed("duration"):
		return badInput("--stages sets the duration: drop --duration")
	}
	if rateSet {
		if err := engine.CheckRate(f.rate, false); err != nil {
			return badInput("--rate %g: %v", f.rate, err)
		}
	}
	if concSet && (f.concurrency < 1 || f.concurrency > engine.MaxConcurrency) {
		return badInput("--concurrency %d: want 1..%d connections (the most one engine keeps open)", f.concurrency, engine.MaxConcurrency)
	}
	if stagesSet {
		st, err := parseStages(f.stages)
		if err != nil {
			return err
		}
		f.stagePlan = st
	}
	if fs.Changed("duration") && f.duration <= 0 {
		return badInput("--duration %s: want a positive sending window such as 30s; leave --duration out to send until Ctrl-C", f.duration)
	}
	if f.timeout <= 0 || f.timeout > engine.MaxTimeout {
		return badInput("--timeout %s: want above 0 and at most %s (how long a request is waited for before it counts as timed out)", f.timeout, engine.MaxTimeout)
	}
	if f.maxInflight < 1 || f.maxInflight > engine.MaxInflightLimit {
		return badInput("--max-inflight %d: want 1..%d outstanding requests (the engine reserves room for each up front)", f.maxInflight, engine.MaxInflightLimit)
	}
	if err := f.checkRequest(); err != nil {
		return err
	}
	if err := f.checkRetries(fs); err != nil {
		return err
	}
	return f.rec.check()
}

// parseStages parses --stages as the engine does, with messages naming
// the flag, and refuses a plan whose every rate is 0 (nothing would be
// sent).
func parseStages(s string) ([]engine.Stage, error) {
	stages, err := engine.ParseStages(s)
	if err != nil {
		return nil, badInput("--stages %q: %v (or --rate for a constant rate)", s, err)
	}
	for _, st := range stages {
		if st.Rate > 0 {
			return stages, nil
		}
	}
	return nil, badInput("--stages %q: every stage's rate is 0: nothing would be sent", s)
}

// checkRequest checks the request the flags describe: the method, each
// header and the body file (a regular file: a FIFO or a device would block
// or never end).
func (f *loadFlags) checkRequest() error {
	if err := engine.CheckMethod(f.method); err != nil {
		return badInput("--method %q: %v", f.method, err)
	}
	for _, h := range f.headers {
		if _, err := parseHeader(h); err != nil {
			return err
		}
	}
	switch {
	case f.body != "" && f.bodyFile != "":
		return badInput("--body and --body-file: choose one")
	case f.bodyFile != "":
		st, err := os.Stat(f.bodyFile)
		if err != nil {
			return badInput("--body-file: %v", err)
		}
		if !st.Mode().IsRegular() {
			return badInput("--body-file %s: not a regular file", f.bodyFile)
		}
	}
	return nil
}
