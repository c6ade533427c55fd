package cluster

import (
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"v2", "1.2.3-rc1", "registry.local/target:v2", "ghcr.io/a/b@sha256:abc"} {
		if err := CheckVersion(v); err != nil {
			t.Errorf("CheckVersion(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", "v\x01", "v 2", "v2\n", "v\t2", "v\x7f", "vé", "v\xff", strings.Repeat("v", MaxVersionLen+1)} {
		if err := CheckVersion(v); err == nil {
			t.Errorf("CheckVersion(%q): no error", v)
		}
	}
}
