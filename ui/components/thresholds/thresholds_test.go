package thresholds

import (
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
)

func TestView(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	st := common.DefaultStyles(r)
	ok := Item{Name: "latency p(99)<200", Value: "18.3ms", Judged: true, OK: true}
	bad := Item{Name: "availability rate>0.999", Value: "98.5%", Judged: true}
	none := Item{Name: "latency{version:v2} p(99)<100", Value: "no data", Judged: true}
	early := Item{Name: "requests count>10", Value: ""}
	for _, tc := range []struct {
		name       string
		in         Info
		width, max int
		want       []string
	}{
		{"none", Info{}, 80, 2, nil},
		{"one line", Info{Items: []Item{ok, bad}}, 80, 2,
			[]string{"thresholds ✓ latency p(99)<200 18.3ms · ✗ availability rate>0.999 98.5%"}},
		{"wraps under the first", Info{Items: []Item{ok, bad, none}}, 80, 2,
			[]string{"thresholds ✓ latency p(99)<200 18.3ms · ✗ availability rate>0.999 98.5%",
				"           ✗ latency{version:v2} p(99)<100 no data"}},
		{"failing first when cut", Info{Items: []Item{ok, bad, none}}, 60, 1,
			[]string{"thresholds ✗ availability rate>0.999 98.5% · +2 more"}},
		{"before the first evaluation", Info{Items: []Item{early}}, 80, 1,
			[]string{"thresholds · requests count>10 no data"}},
		{"aborting", Info{Items: []Item{bad}, Aborting: true}, 80, 1,
			[]string{"thresholds aborting… ✗ availability rate>0.999 98.5%"}},
		{"aborted", Info{Items: []Item{bad}, Aborting: true, Aborted: true}, 80, 1,
			[]string{"thresholds aborted ✗ availability rate>0.999 98.5%"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := View(st, tc.in, tc.width, tc.max)
			for i := range got {
				got[i] = ansi.Strip(got[i])
				if w := ansi.StringWidth(got[i]); w > tc.width {
					t.Errorf("line %d is %d wide", i, w)
				}
				got[i] = strings.TrimRight(got[i], " ")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if n := Rows(st, tc.in, tc.width, tc.max); n != len(tc.want) {
				t.Errorf("Rows %d, want %d", n, len(tc.want))
			}
		})
	}
}
