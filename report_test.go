package main

import (
	"testing"

	"github.com/scalelab/scalelab/engine"
)

// TestOutcomeLineWords: the live line says transport errors for requests
// without an answer and failed for those and the 5xx, as the summary does.
func TestOutcomeLineWords(t *testing.T) {
	s := engine.NewSnapshot()
	s.Status[200], s.Status[502] = 7, 2
	s.Errors[engine.ErrRefused] = 1
	s.Requests = 10
	if got, want := outcomeLine(s), "2xx 7 5xx 2 transport errors 1  failed 3"; got != want {
		t.Errorf("outcome line %q, want %q", got, want)
	}
}
