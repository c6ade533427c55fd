package versions

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/ui/common"
)

func styles() *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.DefaultStyles(r)
}

var split = []analysis.Version{
	{Name: "v1", Requests: 300, Share: 0.3, RPS: 60, P99: 2, FailedRate: 0},
	{Name: "v2", Requests: 697, Share: 0.697, RPS: 139.4, P99: 12.5, FailedRate: 1.2},
	{Name: "other", Requests: 3, Share: 0.003, RPS: 0.6, P99: math.NaN()},
}

// TestViewFitsAndSaysLessWhenNarrow renders the split from 30 to 160
// cells: never wider, the versions and their shares always there, the
// failures of a failing version kept while there is room for them.
func TestViewFitsAndSaysLessWhenNarrow(t *testing.T) {
	st := styles()
	for w := 30; w <= 160; w++ {
		l := View(st, split, w)
		if ansi.StringWidth(l) > w {
			t.Fatalf("width %d: %q is %d cells", w, l, ansi.StringWidth(l))
		}
		if w >= 60 && (!strings.Contains(l, "v1 30%") || !strings.Contains(l, "v2 70%") || !strings.Contains(l, "1.2 failed/s")) {
			t.Fatalf("width %d: %q", w, l)
		}
	}
	full := View(st, split, 160)
	for _, want := range []string{"by version (5 s) ▕", "█ v1 30% 60/s p99 2.00ms 0 failed/s", "▓ v2 70% 139/s p99 12.5ms 1.2 failed/s", "▒ other 0% 0.6/s 0 failed/s"} {
		if !strings.Contains(full, want) {
			t.Errorf("%q lacks %q", full, want)
		}
	}
	// The bar: 12 cells, each version at least one.
	b := bar(st, split, 12)
	if got := strings.Count(b, "█") + strings.Count(b, "▓") + strings.Count(b, "▒"); got != 12 || strings.Count(b, "▒") != 1 || strings.Count(b, "█") != 4 {
		t.Errorf("bar %q: want 12 cells, 4 of v1, 1 of other", b)
	}
	if Shown(split[:1]) || !Shown(split[:2]) {
		t.Error("Shown wants two versions")
	}
}

func TestNameIsSafe(t *testing.T) {
	for in, want := range map[string]string{
		"v2":                        "v2",
		"v2\x1b[2J\x1b]0;pwn\x07":   "v2[2J]0;pwn",
		"\x00\x01":                  "?",
		"release-2026-03-04-abcdef": "release-202…",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
