package k8s

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestForbiddenNamesVerbAndResource(t *testing.T) {
	// What the API server answers when RBAC refuses a scale.
	server := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments/scale"}, "demo",
		errors.New(`User "scalelab-readonly" cannot update resource "deployments/scale" in API group "apps" in the namespace "shop"`))
	err := apiError(server, "patch", "deployments", "elsewhere")
	if got, want := err.Error(), "forbidden: needs update on deployments/scale in namespace shop"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var fe *ForbiddenError
	if !errors.As(err, &fe) || !apierrors.IsForbidden(err) {
		t.Errorf("%v: not a ForbiddenError wrapping the API error", err)
	}

	// Without the authorizer's words, the call's verb and resource.
	bare := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	if got, want := apiError(bare, "list", "pods", "x").Error(), "forbidden: needs list on pods in namespace x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// kubectl's rollbacker wraps with %v: only the text is left.
	text := fmt.Errorf("failed restoring revision 1: %v", server)
	if got := apiError(text, "patch", "deployments", "shop").Error(); got != "forbidden: needs update on deployments/scale in namespace shop" {
		t.Errorf("from text: %q", got)
	}
}

func TestAPIErrorsAreOneLine(t *testing.T) {
	unreachable := &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/apis", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{unreachable, "API server unreachable: Get"},
		{apierrors.NewUnauthorized("bad token"), "unauthorized"},
		{errors.New("line one\nline two"), "line one; line two"},
	} {
		got := apiError(c.err, "get", "deployments", "ns").Error()
		if !strings.Contains(got, c.want) || strings.Contains(got, "\n") {
			t.Errorf("apiError(%v) = %q, want one line containing %q", c.err, got, c.want)
		}
	}
	if apiError(nil, "get", "pods", "ns") != nil {
		t.Error("apiError(nil) is not nil")
	}
}
