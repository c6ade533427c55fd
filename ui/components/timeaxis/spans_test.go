package timeaxis

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/components/chart"
)

// TestSpanRows draws steps' spans on two rows of 60 cells: a name inside
// its span, after it where the next span leaves room, cut short inside
// where it does not, or left out in a span too short for it; an open span
// up to the current column; a failed one's ✗; a span begun before the
// first column; an overlapping span on the second row; one with no row
// left out, and so is a step that ended in the column it began in.
func TestSpanRows(t *testing.T) {
	a := chart.AxisWidth
	rows := SpanRows(styles(), 60, 2, []Span{
		{From: -3, To: 2, Label: "old"},
		{From: 4, To: 16, Label: "upgrade"},
		{From: 18, To: 21, Label: "scale"},
		{From: 26, To: 31, Label: "canary-v2", Failed: true},
		{From: 33, To: 36, Label: "soak"},
		{From: 38, To: 40, Label: "kill", Open: true},
		{From: 6, To: 12, Label: "latency"},
		{From: 8, To: 10, Label: "third"},
		{From: 45, To: 45, Label: "instant"},
	})
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	r0, r1 := ansi.Strip(rows[0]), ansi.Strip(rows[1])
	for _, r := range []string{r0, r1} {
		if ansi.StringWidth(r) != 60 {
			t.Fatalf("row of %d cells, want 60: %q", ansi.StringWidth(r), r)
		}
	}
	want0 := " steps" + strings.Repeat(" ", a-6) +
		"──┤ ├─upgrade───┤ ├──┤    ├can…✗ ├──┤ ├─› kill"
	if got := strings.TrimRight(r0, " "); got != want0 {
		t.Fatalf("first row:\n%q\nwant\n%q", got, want0)
	}
	want1 := strings.Repeat(" ", a+6) + "├─────┤ latency"
	if got := strings.TrimRight(r1, " "); got != want1 {
		t.Fatalf("second row:\n%q\nwant\n%q", got, want1)
	}
	if strings.Contains(r0+r1, "third") || strings.Contains(r0+r1, "instant") {
		t.Fatalf("a span without a row, or an instant step, is left out:\n%s\n%s", r0, r1)
	}
}
