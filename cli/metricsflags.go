package cli

import (
	"fmt"
	"io"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/probes/promexport"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// metricsFlags are --metrics-listen and --metrics-listen-any: the live
// session served to Prometheus.
type metricsFlags struct {
	listen  string
	anyAddr bool
}

func (f *metricsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.listen, "metrics-listen", "", "serve the live run's figures to Prometheus at http://ADDR/metrics, such as 127.0.0.1:9464 (a loopback address unless --metrics-listen-any; port 0 picks a free one, printed on stderr)")
	fs.BoolVar(&f.anyAddr, "metrics-listen-any", false, "let --metrics-listen serve on any address, not only loopback (the run's figures go to the network)")
}

// check finds a bad --metrics-listen before anything starts.
func (f *metricsFlags) check() error {
	if f.listen == "" {
		if f.anyAddr {
			return badInput("--metrics-listen-any: without --metrics-listen there is nothing to serve")
		}
		return nil
	}
	if err := promexport.CheckAddr(f.listen, f.anyAddr); err != nil {
		return badInput("--metrics-listen %q: %v", f.listen, err)
	}
	return nil
}

// sink listens on the address and returns the sink that serves the run
// there, judged on ths whose live statuses are statuses (nil: none), with
// the generator probes' latest reading from generator, and says where on
// errOut; nil without --metrics-listen.
func (f *metricsFlags) sink(errOut io.Writer, ths []analysis.Threshold, statuses func() []analysis.Status,
	generator func() (probes.GeneratorSample, probes.Saturation)) (session.Sink, error) {
	if f.listen == "" {
		return nil, nil
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	ln, err := promexport.Listen(f.listen, f.anyAddr)
	if err != nil {
		return nil, badInput("--metrics-listen %q: %v", f.listen, err)
	}
	e := promexport.Serve(ln, promexport.Options{Thresholds: ths, Statuses: statuses, Generator: generator})
	fmt.Fprintf(errOut, "metrics at http://%s/metrics\n", e.Addr())
	return e, nil
}
