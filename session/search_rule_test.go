package session

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

func TestSearchStoppingRule(t *testing.T) {
	ok := analysis.Status{OK: true}
	bad := analysis.Status{OK: false, Text: "p(99)=312ms"}
	noData := analysis.Status{OK: false, NoData: true}
	const ms = time.Millisecond
	step := func(req, dropped uint64, lag time.Duration, cpu float64, cpuKnown bool, sts ...analysis.Status) SearchStep {
		return SearchStep{Rate: 1000, Requests: req, Dropped: dropped, Late: req / 3, MeanLag: lag, CPU: cpu, CPUKnown: cpuKnown, Statuses: sts}
	}
	for _, tc := range []struct {
		name      string
		step      SearchStep
		cpuShared bool
		next, max float64
		generator string
		held      bool
		stop      string
	}{
		{"held, next within max", step(1000, 0, 0, 0.5, true, ok, ok), false, 1200, 2000, "", true, ""},
		{"held, next is max", step(1000, 0, 0, 0.5, true, ok), false, 2000, 2000, "", true, ""},
		{"held, next beyond max", step(1000, 0, 0, 0.5, true, ok), false, 2400, 2000, "", true, StoppedByMax},
		{"a threshold failed", step(1000, 0, 0, 0.5, true, ok, bad), false, 1200, 2000, "", false, StoppedByThreshold},
		{"no data fails", step(0, 0, 0, 0.1, true, noData), false, 1200, 2000, "", false, StoppedByThreshold},
		{"dropped at the bound holds", step(999, 1, 0, 0.5, true, ok), false, 1200, 2000, "", true, ""},
		{"dropped beyond the bound", step(998, 2, 0, 0.5, true, ok), false, 1200, 2000, "0.2% of sends dropped", false, StoppedByGenerator},
		{"a third late, lag at the bound holds", step(1000, 0, 5*ms, 0.5, true, ok), false, 1200, 2000, "", true, ""},
		{"lag beyond the bound", step(1000, 0, 5*ms+10*time.Microsecond, 0.5, true, ok), false, 1200, 2000, "sends 5.01ms behind schedule on average", false, StoppedByGenerator},
		{"generator first, thresholds failed too", step(1000, 0, 40*ms, 0.5, true, bad), false, 1200, 2000, "sends 40ms behind schedule on average", false, StoppedByGenerator},
		{"CPU at its cores", step(1000, 0, 0, 0.9, true, ok), false, 1200, 2000, "CPU at 90.0% of its cores", false, StoppedByGenerator},
		{"CPU just under", step(1000, 0, 0, 0.89, true, ok), false, 1200, 2000, "", true, ""},
		{"CPU not measured", step(1000, 0, 0, 0.95, false, ok), false, 1200, 2000, "", true, ""},
		{"CPU shared with the target", step(1000, 0, 0, 1, true, ok), true, 1200, 2000, "", true, ""},
		{"shared CPU, the service failed", step(1000, 0, 0, 1, true, bad), true, 1200, 2000, "", false, StoppedByThreshold},
		{"shared CPU, lag does not count", step(1000, 0, 60*ms, 1, true, ok), true, 1200, 2000, "", true, ""},
		{"shared CPU, drops still count", step(900, 100, 0, 1, true, ok), true, 1200, 2000, "10.0% of sends dropped", false, StoppedByGenerator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.step
			st.Generator = generatorLimit(st, tc.cpuShared)
			if st.Generator != tc.generator {
				t.Errorf("generator: %q, want %q", st.Generator, tc.generator)
			}
			held, stop := searchDecision(st, tc.next, tc.max)
			if held != tc.held || stop != tc.stop {
				t.Errorf("decision: held %v, stop %q; want held %v, stop %q", held, stop, tc.held, tc.stop)
			}
		})
	}
}

func TestSearchWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    experiments.Search
		want time.Duration
	}{
		// 100, 150, 225, 337.5, 506.25: 5 steps of 4 s, and a tick.
		{"percent", experiments.Search{From: 100, Step: 50, StepPercent: true, Hold: 4 * time.Second, Max: 600}, 20*time.Second + Interval},
		// A hold between ticks counts as the next tick: 3 × 1.25 s.
		{"hold between ticks", experiments.Search{From: 100, Step: 100, Hold: 1100 * time.Millisecond, Max: 300}, 3*1250*time.Millisecond + Interval},
		{"capped", experiments.Search{From: 1, Step: 1, Hold: time.Hour, Max: 10}, MaxSearchWindow},
	} {
		if got := SearchWindow(tc.s); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNewSearchRefuses(t *testing.T) {
	th, err := analysis.ParseThreshold("latency", "p(99)<200")
	if err != nil {
		t.Fatal(err)
	}
	good := experiments.Search{From: 100, Step: 20, StepPercent: true, Hold: 2 * time.Second, Max: 1000}
	if _, err := NewSearch(good, []analysis.Threshold{th}); err != nil {
		t.Fatalf("good search: %v", err)
	}
	short := good
	short.Hold = 500 * time.Millisecond
	for name, tc := range map[string]struct {
		s     experiments.Search
		until []analysis.Threshold
	}{
		"short hold": {short, []analysis.Threshold{th}},
		"no until":   {good, nil},
	} {
		if _, err := NewSearch(tc.s, tc.until); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
