package cli

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// agentResources are the quantities of --agent-requests or
// --agent-limits, as given ("" for none).
type agentResources struct{ cpu, memory string }

// parseAgentResources parses flag's value s, kubectl run's old
// --requests/--limits syntax: NAME=QUANTITY,... with names cpu and
// memory, each once. Bad input says which flag and why.
func parseAgentResources(flag, s string) (agentResources, error) {
	var r agentResources
	for _, item := range strings.Split(s, ",") {
		name, q, ok := strings.Cut(item, "=")
		if !ok || name == "" || q == "" {
			return r, badInput("--%s %q: want NAME=QUANTITY,... (cpu=500m,memory=256Mi)", flag, item)
		}
		var into *string
		switch name {
		case "cpu":
			into = &r.cpu
		case "memory":
			into = &r.memory
		default:
			return r, badInput("--%s %s: unknown resource %q: want cpu or memory", flag, item, name)
		}
		if *into != "" {
			return r, badInput("--%s %s: %s given twice", flag, s, name)
		}
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return r, badInput("--%s %s: %q is not a quantity (500m, 256Mi)", flag, item, q)
		}
		if v.Sign() < 0 {
			return r, badInput("--%s %s: negative", flag, item)
		}
		*into = q
	}
	return r, nil
}

// checkAgentResources finds a request above its limit, which Kubernetes
// refuses: said before the Job is created.
func checkAgentResources(requests, limits agentResources) error {
	for _, r := range []struct{ name, request, limit string }{
		{"cpu", requests.cpu, limits.cpu}, {"memory", requests.memory, limits.memory}} {
		if r.request == "" || r.limit == "" {
			continue
		}
		req, lim := resource.MustParse(r.request), resource.MustParse(r.limit) // parsed already
		if req.Cmp(lim) > 0 {
			return badInput("--agent-requests %s=%s: above --agent-limits %s=%s (Kubernetes refuses a request above its limit)",
				r.name, r.request, r.name, r.limit)
		}
	}
	return nil
}
