package k8s

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// quantityError is a quantity resource.ParseQuantity refused: its message
// short, the parser's error wrapped.
type quantityError struct{ err error }

func (e quantityError) Error() string { return "not a quantity (500m, 256Mi)" }
func (e quantityError) Unwrap() error { return e.err }

// parseQuantity parses q, "" as none. A negative quantity is refused:
// Kubernetes refuses it in a container's resources.
func parseQuantity(q string) (*resource.Quantity, error) {
	if q == "" {
		return nil, nil
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return nil, quantityError{err}
	}
	if v.Sign() < 0 {
		return nil, errors.New("negative")
	}
	return &v, nil
}

// resources are the agent container's resources of o: each quantity
// parsed, none negative, no request above its limit (Kubernetes refuses
// such a pod: it is said here, before anything is created).
func (o AgentsOptions) resources() (corev1.ResourceRequirements, error) {
	var res corev1.ResourceRequirements
	for _, r := range []struct {
		name           corev1.ResourceName
		request, limit string
	}{{corev1.ResourceCPU, o.RequestsCPU, o.LimitsCPU}, {corev1.ResourceMemory, o.RequestsMemory, o.LimitsMemory}} {
		req, err := parseQuantity(r.request)
		if err != nil {
			return res, fmt.Errorf("agents: requests %s %q: %w", r.name, r.request, err)
		}
		lim, err := parseQuantity(r.limit)
		if err != nil {
			return res, fmt.Errorf("agents: limits %s %q: %w", r.name, r.limit, err)
		}
		if req != nil && lim != nil && req.Cmp(*lim) > 0 {
			return res, fmt.Errorf("agents: requests %s %s above limits %s %s: Kubernetes refuses a request above its limit",
				r.name, r.request, r.name, r.limit)
		}
		if req != nil {
			if res.Requests == nil {
				res.Requests = corev1.ResourceList{}
			}
			res.Requests[r.name] = *req
		}
		if lim != nil {
			if res.Limits == nil {
				res.Limits = corev1.ResourceList{}
			}
			res.Limits[r.name] = *lim
		}
	}
	return res, nil
}
