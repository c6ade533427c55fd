package cluster

import (
	"fmt"
	"unicode"
)

// CheckVersion returns what is wrong with v as a version (or, on
// Kubernetes, an image), or nil: a version is one printable token, no
// spaces or control characters, which a replica can carry in a header.
func CheckVersion(v string) error {
	if v == "" {
		return fmt.Errorf("version %q: empty", v)
	}
	for _, r := range v {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) || unicode.IsSpace(r) || r > unicode.MaxASCII {
			return fmt.Errorf("version %q: want one printable word without spaces, such as v2", v)
		}
	}
	return nil
}
