package header

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
)

// TestFiguresStayWhole checks that at the documented widths the header's
// load model and failure count are never cut.
func TestFiguresStayWhole(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	st := common.DefaultStyles(r)
	in := Info{Target: "http://127.0.0.1:8080/", Model: "open loop, 800 req/s", State: Running,
		Elapsed: 90 * time.Second, Window: 5 * time.Minute, TargetRate: 800, Achieved: 800,
		Requests: 1066000, Failed: 40000, Availability: 0.96247}
	for _, w := range []int{80, 100, 120} {
		lines := strings.Split(ansi.Strip(View(st, in, w)), "\n")
		for _, want := range []struct {
			line int
			text string
		}{{0, "open loop, 800 req/s"}, {1, "failed 40000"}, {1, "requests 1066000"}, {1, "availability 96.247%"}} {
			if !strings.Contains(lines[want.line], want.text) {
				t.Errorf("at %d columns line %d lacks %q: %q", w, want.line+1, want.text, lines[want.line])
			}
		}
		for i, l := range lines {
			if lipgloss.Width(l) > w {
				t.Errorf("at %d columns line %d is %d wide", w, i+1, lipgloss.Width(l))
			}
		}
	}
}
