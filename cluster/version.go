package cluster

import (
	"fmt"
	"unicode"
)

// MaxVersionLen bounds a version (an image reference with its registry,
// tag and digest fits).
const MaxVersionLen = 512

// CheckVersion returns what is wrong with v as a version (or, on
// Kubernetes, an image), or nil: a version is one printable token, no
// spaces or control characters, of at most MaxVersionLen bytes, which a
// replica can carry in a header.
func CheckVersion(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("version %q: empty", v)
	case len(v) > MaxVersionLen:
		return fmt.Errorf("version %.20q…: %d bytes, at most %d", v, len(v), MaxVersionLen)
	}
	for _, r := range v {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) || unicode.IsSpace(r) || r > unicode.MaxASCII {
			return fmt.Errorf("version %q: want one printable word without spaces, such as v2", v)
		}
	}
	return nil
}

// MaxNameLen bounds a replica's name (a Kubernetes pod's name is at most
// 253 characters).
const MaxNameLen = 253

// CheckReplicaName returns what is wrong with name as a replica's name,
// or nil: one printable ASCII word, without spaces, of at most MaxNameLen
// bytes, which a replica can carry in a header.
func CheckReplicaName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("replica name %q: empty", name)
	case len(name) > MaxNameLen:
		return fmt.Errorf("replica name %.20q…: %d bytes, at most %d", name, len(name), MaxNameLen)
	}
	for _, r := range name {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("replica name %q: want printable ASCII without spaces", name)
		}
	}
	return nil
}
