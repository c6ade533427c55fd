package common

import (
	"reflect"
	"testing"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width int
		want  []string
	}{
		{"replica-5 ready (v2)", 40, []string{"replica-5 ready (v2)"}},
		{"replica-1 draining (rollout)", 20, []string{"replica-1 draining", "(rollout)"}},
		{"replica-11 started (v2), replacing replica-7", 12, []string{"replica-11", "started", "(v2),", "replacing", "replica-7"}},
		{"demo-7d9f8c6b5-q8w2n: restarted", 10, []string{"demo-7d9f8", "c6b5-q8w2n", ":", "restarted"}},
		{"  two   spaces ", 20, []string{"two spaces"}},
		{"", 10, []string{""}},
		{"no width", 0, []string{"no width"}},
	} {
		if got := Wrap(tc.text, tc.width); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
	}
}
