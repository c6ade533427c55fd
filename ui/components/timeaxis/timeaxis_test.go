package timeaxis

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/chart"
)

func styles() *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.DefaultStyles(r)
}

func TestMarkerRows(t *testing.T) {
	a := chart.AxisWidth
	marks := []Mark{
		{Col: 2, Label: "ready r4"},
		{Col: 5, Label: "killed r2", Major: true},
		{Col: 7, Label: "note", Major: true},
		{Col: 30, Label: "far", Major: false},
		{Col: 99, Label: "off screen", Major: true},
	}
	rows := MarkerRows(styles(), 60, 2, marks)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	r0, r1 := []rune(ansi.Strip(rows[0])), []rune(ansi.Strip(rows[1]))
	for _, l := range [][]rune{r0, r1} {
		if len(l) != 60 {
			t.Fatalf("row is %d cells, want 60: %q", len(l), string(l))
		}
	}
	for col, want := range map[int]rune{a + 2: '·', a + 5: '▲', a + 7: '▲', a + 30: '·'} {
		if r0[col] != want {
			t.Errorf("column %d is %q, want %q: %q", col, r0[col], want, string(r0))
		}
	}
	// "note" (major, latest) fits after its glyph; "killed r2" would cover
	// the note's glyph, so it goes to the second row under its own glyph;
	// "ready r4" is then blocked on both rows, "far" fits.
	if got := string(r0[a+8 : a+12]); got != "note" {
		t.Errorf("first row: %q, want note after its glyph", string(r0))
	}
	if got := string(r1[a+5 : a+14]); got != "killed r2" {
		t.Errorf("second row: %q, want killed r2 under its glyph", string(r1))
	}
	if got := string(r0[a+31 : a+34]); got != "far" {
		t.Errorf("first row: %q, want far after its glyph", string(r0))
	}
	if strings.Contains(string(r0)+string(r1), "ready") || strings.Contains(string(r0)+string(r1), "off") {
		t.Errorf("labels that do not fit must be left out:\n%s\n%s", string(r0), string(r1))
	}
	if !strings.HasPrefix(string(r0), " events") {
		t.Errorf("first row %q must be titled", string(r0))
	}
}

func TestTimeRow(t *testing.T) {
	row := ansi.Strip(TimeRow(styles(), 60, 0, time.Second))
	if len([]rune(row)) != 60 {
		t.Fatalf("row is %d cells, want 60", len([]rune(row)))
	}
	// At one second a column, labels every 10 s, from data column 0.
	r := []rune(row)
	for _, tc := range []struct {
		col   int
		label string
	}{{0, "╵0:00"}, {10, "╵0:10"}, {40, "╵0:40"}} {
		c := chart.AxisWidth + tc.col
		if got := string(r[c : c+len([]rune(tc.label))]); got != tc.label {
			t.Errorf("at data column %d: %q, want %q in %q", tc.col, got, tc.label, row)
		}
	}
	// Scrolled: the first data column is index 95; labels sit on whole
	// multiples of 10 s.
	r = []rune(ansi.Strip(TimeRow(styles(), 60, 95, time.Second)))
	if got := string(r[chart.AxisWidth+5 : chart.AxisWidth+10]); got != "╵1:40" {
		t.Errorf("scrolled row: %q", string(r))
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", 61500 * time.Millisecond: "1:01", time.Hour + 2*time.Minute + 3*time.Second: "1:02:03",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestUrgentLabelsFirst crowds a kill among other events: its label is
// placed first.
func TestUrgentLabelsFirst(t *testing.T) {
	a := chart.AxisWidth
	marks := []Mark{
		{Col: 0, Label: "scale 2 → 3", Major: true},
		{Col: 1, Label: "upgrade v2", Major: true},
		{Col: 2, Label: "killed r6", Major: true, Urgent: true},
		{Col: 3, Label: "ready r7"},
		{Col: 4, Label: "v2 done", Major: true},
	}
	rows := MarkerRows(styles(), 40, 2, marks)
	r1 := []rune(ansi.Strip(rows[1]))
	if got := string(r1[a+2 : a+11]); got != "killed r6" {
		t.Fatalf("rows:\n%s\n%s\nwant the kill labelled under its glyph", ansi.Strip(rows[0]), ansi.Strip(rows[1]))
	}
}
