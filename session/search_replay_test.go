package session

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

// TestRecordedSearchRoundTrip: a search as a recording keeps it rebuilds
// the same search (abortOnFail dropped, as NewSearch drops it), and a
// damaged one says what is wrong.
func TestRecordedSearchRoundTrip(t *testing.T) {
	lat, err := analysis.ParseThreshold("latency", "p(99)<100")
	if err != nil {
		t.Fatal(err)
	}
	lat.AbortOnFail = true
	avail, err := analysis.ParseThreshold("availability", "rate>0.99")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(experiments.Search{From: 100, Step: 50, StepPercent: true, Hold: 4 * time.Second, Max: 600},
		[]analysis.Threshold{lat, avail}, TargetInProcess())
	if err != nil {
		t.Fatal(err)
	}
	rec := s.Recorded()
	if rec.FromRPS != 100 || rec.Step != 50 || !rec.StepPercent || rec.HoldS != 4 || rec.MaxRPS != 600 || !rec.TargetInProcess ||
		len(rec.Until) != 2 || rec.Until[0].AbortOnFail {
		t.Fatalf("recorded %+v", rec)
	}
	back, err := RecordingSearch(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Recorded(), rec) || !reflect.DeepEqual(back.search, s.search) {
		t.Fatalf("rebuilt %+v from %+v", back.Recorded(), rec)
	}
	if got, err := RecordingSearch(nil); got != nil || err != nil {
		t.Fatalf("no search: %v, %v", got, err)
	}
	bad := *rec
	bad.HoldS = 0.1
	if _, err := RecordingSearch(&bad); err == nil || !strings.Contains(err.Error(), "hold") {
		t.Fatalf("a 100ms hold: %v, want the hold named", err)
	}
}
