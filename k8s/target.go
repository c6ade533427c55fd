package k8s

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ParseTarget parses a Deployment target as kubectl names it,
// "deployment/NAME" (also "deploy/NAME" and "deployments/NAME"), and
// returns NAME.
func ParseTarget(s string) (string, error) {
	kind, name, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return "", fmt.Errorf("target %q: want deployment/NAME", s)
	}
	switch strings.ToLower(kind) {
	case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
	default:
		return "", fmt.Errorf("target %q: %q is not a Deployment: want deployment/NAME", s, kind)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("target %q: name %q: %s", s, name, errs[0])
	}
	return name, nil
}
