package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultRate is the open-loop rate when no load model is given.
const defaultRate = 100

// loadFlags are the load settings shared by the commands that send load.
type loadFlags struct {
	// defaultRate is the open-loop rate when no load model is given
	// (defaultRate when 0): the demo's is demoRate.
	defaultRate int
	rate        float64
	concurrency int
	stages      string
	// stagePlan is stages parsed, once (see stageList).
	stagePlan   []engine.Stage
	duration    time.Duration
	timeout     time.Duration
	maxInflight int
	noKeepAlive bool
	insecure    bool
	headers     []string
	method      string
	body        string
	bodyFile    string
	jsonOut     bool
	showSecrets bool
	rec         recordFlags
	out         outFlags
	// thresholds are the --threshold flags, ths them parsed (options);
	// junit the --junit file.
	thresholds []string
	ths        []analysis.Threshold
	junit      string
	// retries, retryOn and retryBudget are the retry flags; retry the
	// policy they make (check).
	retries     int
	retryOn     string
	retryBudget string
	// retryInitial, retryMax and retryMultiplier are the backoff of a
	// plan's retry block (no flags; 0: the engine's defaults).
	retryInitial, retryMax time.Duration
	retryMultiplier        float64
	retry                  engine.RetryPolicy
	// canary are the canary's flags.
	canary canaryFlags
	// metrics is --metrics-listen: the run served to Prometheus.
	metrics metricsFlags
	// scrape is --scrape and --scrape-metric: the targets' endpoints.
	scrape scrapeFlags
}

// register adds the flags to fs.
func (f *loadFlags) register(fs *pflag.FlagSet) {
	fs.Float64Var(&f.rate, "rate", 0, fmt.Sprintf("open loop: requests per second, above 0 and at most 10,000,000 (default %d when no model is given)", f.rateDefault()))
	fs.IntVar(&f.concurrency, "concurrency", 0, "closed loop: connections (1..100,000), each sending as soon as its answer came")
	fs.StringVar(&f.stages, "stages", "", "open loop ramps DURATION:RATE,... such as 10s:100,30s:5000,10s:0")
	fs.DurationVar(&f.duration, "duration", 0, "sending window (default: until Ctrl-C)")
	fs.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "per-request timeout, connecting included (at most 10m)")
	fs.IntVar(&f.maxInflight, "max-inflight", engine.DefaultMaxInflight, "open loop: outstanding requests before sends are dropped (1..1,000,000)")
	fs.BoolVar(&f.noKeepAlive, "no-keepalive", false, "open a new connection for every request")
	fs.BoolVarP(&f.insecure, "insecure", "k", false, "skip TLS certificate verification")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, `request header "Name: value" (repeatable)`)
	fs.StringVarP(&f.method, "method", "X", "GET", "request method")
	fs.StringVar(&f.body, "body", "", "request body")
	fs.StringVar(&f.bodyFile, "body-file", "", "read the request body from a file")
	fs.BoolVar(&f.jsonOut, "json", false, "print the summary as one JSON object on stdout")
	fs.BoolVar(&f.showSecrets, showSecretsFlag, false, "print the target URL and errors with their secrets (user information, tokens) instead of REDACTED; the recording stays redacted")
	fs.StringArrayVar(&f.thresholds, "threshold", nil, thresholdHelp)
	fs.StringVar(&f.junit, "junit", "", "write the verdict as JUnit XML to this file: a testcase a threshold and a step, for CI")
	fs.IntVar(&f.retries, "retries", 0, fmt.Sprintf("retry a failed request up to N times as a client would (0..%d; 0: no retries): backoff 25ms..1s with full jitter, Retry-After honoured", engine.MaxRetries))
	fs.StringVar(&f.retryOn, "retry-on", "", "with --retries: what is retried, a list of 5xx, 4xx, status codes and error classes (default reset,refused,timeout,502,503,504)")
	fs.StringVar(&f.retryBudget, "retry-budget", "20%", "with --retries: the most retries as a share of requests over 10 s (at least 10/s), such as 20%")
	f.rec.register(fs)
	f.out.register(fs)
	f.canary.register(fs)
	f.metrics.register(fs)
	f.scrape.register(fs)
}

// oneURL is the argument rule of the commands that take exactly one URL.
func oneURL(command string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return badInput("%s: want exactly one URL, got %d arguments", command, len(args))
		}
		return nil
	}
}

// parse builds the engine target for url and the engine options from the
// flags in fs, or a bad-input error.
func (f *loadFlags) parse(fs *pflag.FlagSet, url string) (engine.Target, []engine.Option, error) {
	target, err := f.target(url)
	if err != nil {
		return target, nil, err
	}
	opts, err := f.options(fs)
	return target, opts, err
}

// target builds the engine target for url, or a bad-input error.
func (f *loadFlags) target(url string) (engine.Target, error) {
	t := engine.Target{URL: url, Method: f.method}
	if err := checkURL(url); err != nil {
		return t, err
	}
	if err := f.checkRequest(); err != nil {
		return t, err
	}
	for _, h := range f.headers {
		hdr, err := parseHeader(h)
		if err != nil {
			return t, err
		}
		t.Headers = append(t.Headers, hdr)
	}
	switch {
	case f.bodyFile != "":
		b, err := os.ReadFile(f.bodyFile)
		if err != nil {
			return t, badInput("--body-file: %v", err)
		}
		t.Body = b
	case f.body != "":
		t.Body = []byte(f.body)
	}
	return t, nil
}

// options builds the engine options, or a bad-input error (check). fs
// tells which flags were given.
func (f *loadFlags) options(fs *pflag.FlagSet) ([]engine.Option, error) {
	if err := f.check(fs); err != nil {
		return nil, err
	}
	if err := f.out.check(f.jsonOut); err != nil {
		return nil, err
	}
	if err := f.metrics.check(); err != nil {
		return nil, err
	}
	if err := f.scrape.check(); err != nil {
		return nil, err
	}
	if err := f.parseThresholds(); err != nil {
		return nil, err
	}
	if fs.Changed("junit") && f.junit == "" {
		return nil, badInput("--junit: no file name")
	}
	if err := f.checkJUnit(); err != nil {
		return nil, err
	}
	opts := []engine.Option{
		engine.Timeout(f.timeout),
		engine.MaxInflight(f.maxInflight),
		engine.KeepAlive(!f.noKeepAlive),
		engine.Insecure(f.insecure),
	}
	if f.retry.Max > 0 {
		opts = append(opts, engine.Retries(f.retry))
	}
	switch {
	case fs.Changed("stages"):
		opts = append(opts, engine.Stages(f.stageList()))
	case fs.Changed("concurrency"):
		opts = append(opts, engine.Concurrency(f.concurrency), engine.Duration(f.duration))
	case fs.Changed("rate"):
		opts = append(opts, engine.Rate(f.rate), engine.Duration(f.duration))
	default:
		opts = append(opts, engine.Rate(float64(f.rateDefault())), engine.Duration(f.duration))
	}
	return opts, nil
}

// model describes the load model in words, for headers and summaries.
func (f *loadFlags) model(fs *pflag.FlagSet) string {
	switch {
	case f.stages != "":
		return report.StagesModel + f.stages
	case f.concurrency > 0:
		return fmt.Sprintf("closed loop, %d connections", f.concurrency)
	case fs.Changed("rate"):
		return fmt.Sprintf("open loop, %g req/s", f.rate)
	default:
		return fmt.Sprintf("open loop, %d req/s", f.rateDefault())
	}
}

// shown is url as the command prints it: redacted unless --show-secrets.
func (f *loadFlags) shown(url string) string { return shownURL(url, f.showSecrets) }

// rateDefault is the open-loop rate when no load model is given.
func (f *loadFlags) rateDefault() int {
	if f.defaultRate > 0 {
		return f.defaultRate
	}
	return defaultRate
}

// recordedLoad is the load the flags set, as a recording keeps it.
func (f *loadFlags) recordedLoad() *recordings.Load {
	l := &recordings.Load{DurationS: f.duration.Seconds(), TimeoutS: f.timeout.Seconds(), MaxInflight: f.maxInflight,
		Method: f.method, KeepAlive: !f.noKeepAlive}
	switch {
	case f.stages != "":
		for _, s := range f.stageList() {
			l.Stages = append(l.Stages, recordings.Stage{DurationS: s.Duration.Seconds(), Rate: s.Rate})
		}
		l.DurationS = f.window().Seconds()
	case f.concurrency > 0:
		l.Concurrency = f.concurrency
	default:
		l.Rate = f.rate
		if l.Rate == 0 {
			l.Rate = float64(f.rateDefault())
		}
	}
	return l
}
