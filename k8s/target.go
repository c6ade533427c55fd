package k8s

import (
	"errors"
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

// CheckLabel checks the syntax of a namespace or container name (a
// DNS-1123 label), so that a typo is reported before anything connects;
// "" (the default) passes.
func CheckLabel(name string) error {
	if name == "" || len(validation.IsDNS1123Label(name)) == 0 {
		return nil
	}
	return errors.New("want a DNS label: at most 63 lower case letters, digits and '-', starting and ending with a letter or digit")
}

// CheckServiceName checks the syntax of a Service name (a DNS-1035
// label: it starts with a letter); "" (the default) passes.
func CheckServiceName(name string) error {
	if name == "" || len(validation.IsDNS1035Label(name)) == 0 {
		return nil
	}
	return errors.New("want a Service name: at most 63 lower case letters, digits and '-', starting with a letter and ending with a letter or digit")
}
