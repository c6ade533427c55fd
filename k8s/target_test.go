package k8s

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{
		"deployment/demo":       "demo",
		"deploy/demo":           "demo",
		"deployments/web-1":     "web-1",
		" Deployment/demo ":     "demo",
		"deployment.apps/api.v": "api.v",
	} {
		if got, err := ParseTarget(in); err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"demo":               "want deployment/NAME",
		"statefulset/db":     `"statefulset" is not a Deployment`,
		"deployment/":        "name",
		"deployment/Bad_Nm":  "name",
		"deployment/a/b":     "name",
		"":                   "want deployment/NAME",
		"pod/demo-abc-12345": "not a Deployment",
	} {
		_, err := ParseTarget(in)
		if err == nil || !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseTarget(%q): error %v, want one line containing %q", in, err, msg)
		}
	}
}

func TestCheckNames(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, c := range []struct {
		name         string
		label, svcOK bool
	}{
		{"", true, true},
		{"shop", true, true},
		{"web-1", true, true},
		{"1web", true, false}, // a Service name starts with a letter
		{strings.Repeat("a", 63), true, true},
		{long, false, false},
		{"Shop", false, false},
		{"web_1", false, false},
		{"web.svc", false, false},
		{"-web", false, false},
		{"web-", false, false},
		{"we b", false, false},
		{"web\n", false, false},
		{"wéb", false, false},
	} {
		if err := CheckLabel(c.name); (err == nil) != c.label || err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckLabel(%q) = %v, want ok %v", c.name, err, c.label)
		}
		if err := CheckServiceName(c.name); (err == nil) != c.svcOK {
			t.Errorf("CheckServiceName(%q) = %v, want ok %v", c.name, err, c.svcOK)
		}
	}
}
