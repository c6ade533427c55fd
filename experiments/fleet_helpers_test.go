package experiments

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
)

// startFleet starts a fleet for a test (stopped by its cleanup) and
// returns it with a context that bounds the test to 30 s.
func startFleet(t *testing.T, opts ...fleet.Option) (context.Context, *fleet.Fleet) {
	t.Helper()
	f, err := fleet.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Stop(context.Background()) })
	return ctx, f
}

// mustParse parses step specs, failing the test on an error.
func mustParse(t *testing.T, specs ...string) []Step {
	t.Helper()
	steps, err := ParseSteps(specs)
	if err != nil {
		t.Fatal(err)
	}
	return steps
}
