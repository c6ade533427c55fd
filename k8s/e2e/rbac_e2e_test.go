//go:build k8se2e

package e2e

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/k8s"
	"github.com/scalelab/scalelab/ui"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// forbiddenScale is the driver's one-line refusal of a scale by RBAC.
var forbiddenScale = regexp.MustCompile(`forbidden: needs (update|patch) on deployments/scale`)

// grantView binds the read-only token's user to a Role in the app's
// namespace that allows only get, list and watch on what the driver
// reads.
func (a *app) grantView(t *testing.T) kubernetes.Interface {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
	defer cancel()
	read := []string{"get", "list", "watch"}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "scalelab-view"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "services", "events"}, Verbs: read},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale", "replicasets"}, Verbs: read},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: read},
			{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: read},
		},
	}
	rbac := a.cp.client.RbacV1()
	if _, err := rbac.Roles(a.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create role: %v", err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scalelab-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: readOnlyUser}},
	}
	if _, err := rbac.RoleBindings(a.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create role binding: %v", err)
	}
	c, err := kubernetes.NewForConfig(a.cp.readOnly)
	if err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect once the API server's authorizer sees the binding
	// (a driver started before then was refused "get on deployments"):
	// ask it, as the view-only user, for the last rule it needs.
	waitAllowed(ctx, t, c, authorizationv1.ResourceAttributes{Namespace: a.ns, Verb: "get", Group: "apps", Resource: "deployments"})
	return c
}

// waitAllowed waits until c's user may do what attrs say, as the API
// server's authorizer answers c (RBAC takes effect once it sees a new
// binding), failing the test after 10 s.
func waitAllowed(ctx context.Context, t *testing.T, c kubernetes.Interface, attrs authorizationv1.ResourceAttributes) {
	t.Helper()
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		r, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		return err == nil && r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("the user never got %s on %s %s: %v", attrs.Verb, attrs.Group, attrs.Resource, err)
	}
}

// TestRBACForbiddenScale drives a Deployment with a token that may only
// get, list and watch: the driver watches fine, a scale fails with one
// line naming the missing permission, and the terminal UI on that driver
// shows the error after the operator confirmed the scale and keeps
// running (its replicas panel follows a pod replaced afterwards).
func TestRBACForbiddenScale(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", replicaOpts()...)
	ro := a.grantView(t)
	d, _ := a.startDriver(t, ro, k8s.Options{Confirm: true, Where: "e2e"})
	waitBalanced(t, d.Endpoints(), 2, "v1")
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()

	err := d.Scale(ctx, 3)
	if err == nil || !forbiddenScale.MatchString(err.Error()) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("scale with a view-only token: %v; want one line matching %q", err, forbiddenScale)
	}
	t.Logf("scale refused: %v", err)
	if r := a.get(t).Spec.Replicas; r == nil || *r != 2 {
		t.Fatalf("the refused scale changed the replicas to %v", r)
	}

	// The UI on the same driver, with load through its endpoints.
	feed := ui.NewFeed()
	eng, err := engine.New(engine.Target{URL: a.url()}, engine.Balance(d.Endpoints()), engine.Rate(50),
		engine.Duration(time.Minute), engine.Tick(loadTick), engine.OnSnapshot(feed.Push))
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, eng)
	uiCtx, stopUI := context.WithCancel(ctx)
	defer stopUI()
	renderer := lipgloss.NewRenderer(io.Discard)
	renderer.SetColorProfile(termenv.Ascii)
	m := ui.New(ui.Config{
		Target: a.url(), Model: "open loop, 50 req/s", Load: eng, Feed: feed, Window: time.Minute,
		Cluster: d, Events: d.Subscribe(uiCtx), Context: uiCtx, Renderer: renderer,
	})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(200, 50))
	out := newScreen(tm.Output())
	out.wait(t, "Replicas 2/2 ready", "the replicas panel")
	out.wait(t, "achieved", "the load")

	tm.Send(runes("-"))
	out.wait(t, "scale to 1 on deployment web in namespace "+a.ns, "the confirmation question")
	tm.Send(runes("y"))
	out.waitMatch(t, forbiddenScale, "the forbidden error")

	// The UI still follows the cluster: a pod deleted by someone else is
	// replaced, and the replacement shows up on the screen.
	before, _ := a.pods(t)
	if err := a.cp.client.CoreV1().Pods(a.ns).Delete(ctx, before[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	var replacement string
	for replacement == "" && ctx.Err() == nil {
		live, _ := a.pods(t)
		for _, p := range live {
			if p.Name != before[0].Name && p.Name != before[1].Name {
				replacement = p.Name
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	out.wait(t, replacement, "the replacement pod "+replacement)
	tm.Send(runes("q"))
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(ui.Model)
	if !ok || !fm.Quitting() {
		t.Fatal("the UI did not quit cleanly")
	}
	found := false
	for _, e := range fm.Entries() {
		if forbiddenScale.MatchString(e.Text) {
			found = true
			t.Logf("the UI's event log: %s", e.Text)
		}
	}
	if !found {
		t.Errorf("the event log has no entry for the refused scale: %+v", fm.Entries())
	}
	if r := a.get(t).Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("the refused scale changed the replicas to %v", r)
	}
}

// runes is a key press of s.
func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// runUntilCleanup runs e in the background until the test ends.
func runUntilCleanup(t *testing.T, e *engine.Engine) {
	ctx, cancel := context.WithCancel(runCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := e.Run(ctx); err != nil {
			t.Errorf("load: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// screen accumulates a program's output, so that each wait sees all of
// it (teatest.WaitFor consumes what it read).
type screen struct {
	r   io.Reader
	mu  sync.Mutex
	buf bytes.Buffer
}

func newScreen(r io.Reader) *screen { return &screen{r: r} }

// wait waits until the output contains s (what names it in the failure).
func (s *screen) wait(t *testing.T, text, what string) {
	t.Helper()
	s.waitFunc(t, what, func(b []byte) bool { return bytes.Contains(b, []byte(text)) })
}

// waitMatch waits until the output matches re.
func (s *screen) waitMatch(t *testing.T, re *regexp.Regexp, what string) {
	t.Helper()
	s.waitFunc(t, what, re.Match)
}

func (s *screen) waitFunc(t *testing.T, what string, ok func([]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		_, err := s.buf.ReadFrom(s.r)
		found := ok(s.buf.Bytes())
		s.mu.Unlock()
		if err != nil {
			t.Fatalf("reading the UI's output: %v", err)
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the UI never showed %s; its output ends:\n%s", what, s.tail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail is the last n bytes of the output.
func (s *screen) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
