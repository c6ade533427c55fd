package eventlog

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
)

func styles() *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.DefaultStyles(r)
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// words are the words of the view's lines, the time stamps left out.
func words(view string) []string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && strings.Contains(f[0], ":") && strings.Contains(f[0], ".") {
			f = f[1:]
		}
		out = append(out, f...)
	}
	return out
}

// TestLinesWrapAtWords renders long events in the widths of the Events
// panel at 80, 100 and 120 columns: every word of every entry shown is
// whole, no line is wider than asked, and the newest entry is shown.
func TestLinesWrapAtWords(t *testing.T) {
	texts := []string{
		"replica-4 ready (v1)",
		"demo-7d9f8c6b5-q8w2n: container demo restarted (liveness probe failed)",
		"replica-11 started (v2), replacing replica-7",
		"fault: latency 5ms..50ms on replica-2",
		"rollout v1 → v2 done: 5/5 ready, 0 old",
	}
	for _, w := range []int{22, 26, 33, 40, 76} {
		for _, h := range []int{2, 4, 7} {
			m := New(styles())
			m.SetSize(w, h)
			for i, txt := range texts {
				m.Add(common.Entry{Time: t0.Add(time.Duration(i) * time.Second), Text: txt})
			}
			v := m.View(t0)
			lines := strings.Split(ansi.Strip(v), "\n")
			if len(lines) > h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Fatalf("%dx%d: %q is wider than %d", w, h, l, w)
				}
			}
			got := strings.Join(words(v), " ")
			last := texts[len(texts)-1]
			if h >= 2 && !strings.HasSuffix(got, last) && !strings.HasPrefix(last, got) {
				t.Errorf("%dx%d: the newest entry %q is not shown whole: %q", w, h, last, got)
			}
			all := " " + strings.Join(texts, " ") + " "
			for _, word := range words(v) {
				if !strings.Contains(all, " "+word+" ") {
					t.Errorf("%dx%d: %q is cut:\n%s", w, h, word, ansi.Strip(v))
				}
			}
		}
	}
}

// TestNewestFirstLine checks that an entry taller than the log shows from
// its time on, and that older entries show only whole.
func TestNewestFirstLine(t *testing.T) {
	m := New(styles())
	m.SetSize(20, 2)
	m.Add(common.Entry{Time: t0, Text: "old one"})
	m.Add(common.Entry{Time: t0.Add(time.Second), Text: "a very long event that wraps onto many lines"})
	got := ansi.Strip(m.View(t0))
	if want := " 0:01.0 a very long\n        event that"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m.SetSize(20, 7)
	if got := ansi.Strip(m.View(t0)); !strings.HasPrefix(got, " 0:00.0 old one\n 0:01.0 a very long") {
		t.Errorf("got %q", got)
	}
}
