//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// One control plane serves the whole run (each test gets its own
// namespace); it starts with the first test that asks for it and stops
// after the last, also when tests failed.
var (
	sharedOnce sync.Once
	sharedCP   *controlPlane
	sharedErr  error
	runCtx     context.Context
)

func TestMain(m *testing.M) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	runCtx = ctx
	code := m.Run()
	cancel()
	if sharedCP != nil {
		sharedCP.stop(code != 0)
	}
	os.Exit(code)
}

// cluster returns the shared control plane, starting it on first use. It
// fails the test (it does not skip) when the run is not inside a private
// network namespace or the control plane does not come up.
func cluster(t testing.TB) *controlPlane {
	t.Helper()
	sharedOnce.Do(func() {
		if sharedErr = checkPrivateNetns(); sharedErr != nil {
			return
		}
		start := time.Now()
		sharedCP, sharedErr = startControlPlane(runCtx)
		if sharedErr == nil {
			fmt.Fprintf(os.Stderr, "control plane up in %s (%s)\n", time.Since(start).Round(time.Millisecond), sharedCP.dir)
		}
	})
	if sharedErr != nil {
		t.Fatalf("k8s e2e: %v", sharedErr)
	}
	return sharedCP
}

// namespace creates a namespace for the test, named after it, and deletes
// it when the test ends.
func (cp *controlPlane) namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, 30*time.Second)
	defer cancel()
	prefix := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	ns, err := cp.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cp.client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}
