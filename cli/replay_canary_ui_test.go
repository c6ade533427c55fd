package cli

import (
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
		"--canary-interval", "1s", "--duration", "3s", "--bad-version", "v2", "--record", file)
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
