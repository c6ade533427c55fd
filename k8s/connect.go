package k8s

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultConnectTimeout bounds Connect's check that the API server answers.
const DefaultConnectTimeout = 5 * time.Second

// ConnectOptions chooses the cluster as kubectl's flags do. Empty fields
// take kubectl's defaults.
type ConnectOptions struct {
	// Kubeconfig is a kubeconfig file (--kubeconfig); empty means
	// $KUBECONFIG (a list of files) or ~/.kube/config, and the in-cluster
	// config when none exists and scalelab runs in a pod.
	Kubeconfig string
	// Context is the kubeconfig context (--context); empty means the
	// current context.
	Context string
	// Namespace (-n/--namespace); empty means the context's namespace,
	// the pod's namespace in-cluster, or "default".
	Namespace string
	// Timeout bounds the reachability check; 0 means
	// DefaultConnectTimeout.
	Timeout time.Duration
}

// Connection is a client for the chosen cluster.
type Connection struct {
	// Client talks to the API server; Config is its REST configuration.
	Client kubernetes.Interface
	Config *rest.Config
	// Namespace is the namespace to work in, Context the kubeconfig
	// context used ("" in-cluster), Cluster the context's cluster name
	// ("in-cluster" inside a pod).
	Namespace, Context, Cluster string
}

// Connect loads the client configuration with client-go's clientcmd
// loading rules, exactly as kubectl does, and checks with a discovery
// call that the API server answers. Its errors are one line naming the
// problem: a bad namespace name, no kubeconfig, a kubeconfig that is
// missing, empty, not a kubeconfig or names a file that is missing (a CA,
// a client certificate), an unknown context, a bad server, API server
// unreachable, credentials rejected.
func Connect(o ConnectOptions) (*Connection, error) {
	if err := CheckLabel(o.Namespace); err != nil {
		return nil, fmt.Errorf("namespace %q: %w", o.Namespace, err)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	overrides.Context.Namespace = o.Namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)

	raw, err := cc.RawConfig()
	if err != nil {
		return nil, kubeconfigError(o, err)
	}
	c := &Connection{Context: raw.CurrentContext}
	if o.Context != "" {
		c.Context = o.Context
	}
	if len(raw.Contexts) > 0 || o.Context != "" {
		ctx, ok := raw.Contexts[c.Context]
		if !ok {
			return nil, contextError(kubeconfigName(o), c.Context, raw.Contexts)
		}
		c.Cluster = ctx.Cluster
	}
	if c.Config, err = cc.ClientConfig(); err != nil {
		return nil, kubeconfigError(o, err)
	}
	if c.Cluster == "" {
		c.Context, c.Cluster = "", "in-cluster"
	}
	if c.Namespace, _, err = cc.Namespace(); err != nil {
		return nil, kubeconfigError(o, err)
	}
	if c.Config.QPS == 0 {
		c.Config.QPS, c.Config.Burst = 50, 100
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, fmt.Errorf("%s: cluster %s: bad server: %w", kubeconfigName(o), c.Cluster, oneLineErr{err})
	}
	if err := c.ping(o.Timeout); err != nil {
		return nil, err
	}
	return c, nil
}

// ping asks the API server for its version within timeout.
func (c *Connection) ping(timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := c.Client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	switch {
	case err == nil:
		return nil
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("API server %s (%s) rejected the credentials: %w", c.Config.Host, c.where(), oneLineErr{err})
	case apierrors.IsForbidden(err):
		return nil // it answered; RBAC is checked per resource later
	case ctx.Err() != nil:
		return fmt.Errorf("API server %s (%s) unreachable: no answer within %s", c.Config.Host, c.where(), timeout)
	}
	return fmt.Errorf("API server %s (%s) unreachable: %w", c.Config.Host, c.where(), oneLineErr{err})
}

// where names the connection for messages: "context kind-demo" or
// "in-cluster".
func (c *Connection) where() string {
	if c.Context == "" {
		return c.Cluster
	}
	return "context " + c.Context
}

// contextError says that name is not among the contexts of kubeconfig,
// listing them.
func contextError[T any](kubeconfig, name string, contexts map[string]T) error {
	if name == "" {
		return fmt.Errorf("%s: no current context; choose one with --context", kubeconfig)
	}
	names := sortedKeys(contexts)
	if len(names) == 0 {
		return fmt.Errorf("context %q not found: %s has no contexts", name, kubeconfig)
	}
	return fmt.Errorf("context %q not found in %s (contexts: %s)", name, kubeconfig, joinMax(names, 8))
}
