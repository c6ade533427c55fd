package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui"
)

// TestReplayUIShowsTheCanary records a bad canary on the fleet and plays
// it in the replay UI: no canary panel before the step, the panel judging
// (no decision) between the step and the decision, and at the end the
// decision and the rollback, as the live screen showed them.
func TestReplayUIShowsTheCanary(t *testing.T) {
	file := filepath.Join(t.TempDir(), "canary.scalelab")
	code, _, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--rate", "600", "--replicas", "2",
		"--startup-delay", "100ms", "--drain", "300ms", "--latency", "1ms", "--step", "500ms:canary=v2:1",
		"--canary-interval", "1s", "--canary-generator-bound", "ignore", "--duration", "3s", "--bad-version", "v2", "--record", file)
	if code != 99 {
		t.Fatalf("demo: exit %d, want 99: %s", code, errOut)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	cfg := replayUI(t.Context(), rec, file, nil)
	if cfg.Canary == nil || cfg.CanaryConfig.Interval != time.Second {
		t.Fatalf("the replay UI's canary: %+v, analysis %+v", cfg.Canary, cfg.CanaryConfig)
	}
	var decided time.Duration
	for _, e := range rec.Events {
		if e.Source == recordings.FromCanary && e.Kind == session.CanaryDecided {
			decided = e.Time.Sub(rec.Origin())
		}
	}
	if decided < time.Second {
		t.Fatalf("decided at %s: want after the first 1 s interval", decided)
	}
	r := ui.NewReplay(cfg)
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for _, c := range []struct {
		at         time.Duration
		want, lack []string
	}{
		{200 * time.Millisecond, nil, []string{"canary v2 vs v1"}},
		{decided - 100*time.Millisecond, []string{"canary v2 vs v1"}, []string{"rolled back", "decision v2"}},
		{10 * time.Minute, []string{"canary v2 vs v1", "rolled back", "decision v2 errors"}, nil},
	} {
		r.Seek(c.at)
		view := r.View()
		for _, w := range c.want {
			if !strings.Contains(view, w) {
				t.Errorf("at %s: the screen lacks %q:\n%s", c.at, w, view)
			}
		}
		for _, l := range c.lack {
			if strings.Contains(view, l) {
				t.Errorf("at %s: the screen shows %q too early:\n%s", c.at, l, view)
			}
		}
	}
}

// TestReplayUIShowsRetries records a demo with retries and plays it: the
// replay's header has raw and effective availability side by side and
// the retries line, with the live run's figures.
func TestReplayUIShowsRetries(t *testing.T) {
	file := filepath.Join(t.TempDir(), "retries.scalelab")
	code, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--replicas", "3", "--rate", "300",
		"--duration", "2s", "--latency", "1ms", "--startup-delay", "50ms", "--drain", "300ms",
		"--step", "0s:errors=1:30%", "--retries", "2", "--retry-on", "5xx", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var sum struct {
		Retries uint64 `json:"retries"`
	}
	if err := json.Unmarshal([]byte(live), &sum); err != nil || sum.Retries == 0 {
		t.Fatalf("live summary (%v) without retries:\n%s", err, live)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	r := ui.NewReplay(replayUI(t.Context(), rec, file, nil))
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	r.Seek(10 * time.Minute)
	view := r.View()
	for _, w := range []string{"availability raw", "effective", fmt.Sprintf("retries %d", sum.Retries), "amplification"} {
		if !strings.Contains(view, w) {
			t.Errorf("the replay's screen lacks %q:\n%s", w, view)
		}
	}
}
