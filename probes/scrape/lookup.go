package scrape

import (
	"math"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// lookup is the value of the metric named n, summed over its series, and
// whether it is a counter. Besides a family's own name, a histogram's or
// summary's series are named as in the text format: NAME_sum (the sum of
// the observations, a counter: its rate is, for a duration, the time
// spent per second) and NAME_count (the number of observations, a
// counter).
func lookup(fams map[string]*dto.MetricFamily, n string) (v float64, counter, ok bool) {
	if f, had := fams[n]; had {
		v, ok = sum(f)
		return v, f.GetType() == dto.MetricType_COUNTER, ok
	}
	for _, suffix := range []string{"_sum", "_count"} {
		base, cut := strings.CutSuffix(n, suffix)
		f := fams[base]
		if !cut || f == nil || len(f.Metric) == 0 {
			continue
		}
		var t float64
		for _, m := range f.Metric {
			switch {
			case m.Histogram != nil && suffix == "_sum":
				t += m.Histogram.GetSampleSum()
			case m.Histogram != nil:
				t += float64(m.Histogram.GetSampleCount())
			case m.Summary != nil && suffix == "_sum":
				t += m.Summary.GetSampleSum()
			case m.Summary != nil:
				t += float64(m.Summary.GetSampleCount())
			default:
				return 0, false, false
			}
		}
		if math.IsNaN(t) {
			return 0, false, false
		}
		return t, true, true
	}
	return 0, false, false
}
