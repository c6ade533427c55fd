package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default recordings of every session the tests run
// (in this process and in the binaries they start) at a temporary folder,
// so that tests never litter the working folder.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scalelab-recordings-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(recordDirEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
