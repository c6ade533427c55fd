package k8s

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ForbiddenError is an RBAC refusal: the credentials lack Verb on
// Resource (with its subresource, "deployments/scale") in Namespace.
type ForbiddenError struct {
	Verb, Resource, Namespace string
	// Err is the API server's error.
	Err error
}

// Error says which permission is missing, in one line.
func (e *ForbiddenError) Error() string {
	if e.Namespace == "" {
		return fmt.Sprintf("forbidden: needs %s on %s", e.Verb, e.Resource)
	}
	return fmt.Sprintf("forbidden: needs %s on %s in namespace %s", e.Verb, e.Resource, e.Namespace)
}

// Unwrap returns the API server's error.
func (e *ForbiddenError) Unwrap() error { return e.Err }

// forbiddenText matches what the API server's authorizer says
// (`User "u" cannot update resource "deployments/scale" in API group
// "apps" in the namespace "ns"`).
var forbiddenText = regexp.MustCompile(`cannot (\S+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)")?`)

// apiError turns an error of a verb on resource in ns into one line:
// RBAC refusals name the permission (from the server's message when it
// has one, else from the call), a missing object says so, and transport
// errors say that the API server is unreachable. Errors that only carry
// the API server's message as text (kubectl's rollbacker wraps with %v)
// are recognised too.
func apiError(err error, verb, resource, ns string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if apierrors.IsForbidden(err) || strings.Contains(msg, "is forbidden: ") {
		fe := &ForbiddenError{Verb: verb, Resource: resource, Namespace: ns, Err: err}
		if m := forbiddenText.FindStringSubmatch(msg); m != nil {
			fe.Verb, fe.Resource = m[1], m[2]
			if m[3] != "" {
				fe.Namespace = m[3]
			}
		}
		return fe
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("unauthorized: the API server rejected the credentials (%s %s): %w", verb, resource, err)
	case isUnreachable(err):
		return fmt.Errorf("API server unreachable: %w", oneLineErr{err})
	}
	return oneLineErr{err}
}

// isUnreachable reports a transport error: the API server did not answer.
func isUnreachable(err error) bool {
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &oe) || errors.As(err, &ue) || (errors.As(err, &ne) && ne.Timeout())
}

// oneLineErr is err with its message on one line.
type oneLineErr struct{ err error }

func (e oneLineErr) Error() string { return oneLine(e.err.Error()) }
func (e oneLineErr) Unwrap() error { return e.err }

// oneLine joins the lines of s with "; " and trims it.
func oneLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// joinMax joins at most n names with ", ", saying how many more there are.
func joinMax(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
