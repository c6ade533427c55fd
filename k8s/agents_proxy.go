package k8s

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// proxyErrors is the agents' client's transport: an API server's
// refusal of a pod-proxy request (403 with a Status) becomes the usual
// one-line error naming the missing permission ("forbidden: needs create
// on pods/proxy in namespace NS"), not the Status's JSON as the agent's
// answer.
type proxyErrors struct {
	next http.RoundTripper
	ns   string
}

// RoundTrip sends req, turning the API server's 403 into an error.
func (p proxyErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp, err
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	var st metav1.Status
	if rerr != nil || json.Unmarshal(b, &st) != nil || st.Kind != "Status" {
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		return resp, nil
	}
	return nil, apiError(&apierrors.StatusError{ErrStatus: st}, proxyVerb(req.Method), "pods/proxy", p.ns)
}

// proxyVerb is the RBAC verb of an HTTP method on a proxy subresource.
func proxyVerb(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return "get"
}
