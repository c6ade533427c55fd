//go:build k8se2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The control plane's addresses inside the private namespace, and the
// static tokens its API server accepts.
const (
	etcdURL      = "http://127.0.0.1:2379"
	etcdPeerURL  = "http://127.0.0.1:2380"
	apiServerURL = "https://127.0.0.1:6443"

	adminToken    = "scalelab-e2e-admin"
	adminUser     = "scalelab-admin" // in system:masters
	readOnlyToken = "scalelab-e2e-readonly"
	readOnlyUser  = "scalelab-readonly" // no rights until a test binds some

	// binEnv names the folder holding kube-apiserver and
	// kube-controller-manager (build-controlplane.sh prints it).
	binEnv = "SCALELAB_K8S_BIN"
)

// controlPlane is a running etcd, kube-apiserver and
// kube-controller-manager, with what a test needs to talk to them.
type controlPlane struct {
	dir        string     // temporary folder: data, certs, keys, logs
	procs      []*process // in start order
	kubeconfig string     // admin (current) and read-only contexts
	admin      *rest.Config
	readOnly   *rest.Config
	client     kubernetes.Interface // as admin
	ips        *addrPool            // pod addresses, shared by the tests' kubelets
}

// startControlPlane starts etcd, the API server and the controller manager
// in a new temporary folder and waits until they serve. On error what was
// started is stopped again.
func startControlPlane(ctx context.Context) (cp *controlPlane, err error) {
	bin := os.Getenv(binEnv)
	if bin == "" {
		return nil, fmt.Errorf("%s is not set: run the suite with `make k8s-e2e`, which builds the control plane", binEnv)
	}
	for _, name := range []string{"kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("control plane: %w (build it with k8s/e2e/build-controlplane.sh)", err)
		}
	}
	etcd, err := findEtcd()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "scalelab-k8s-e2e-")
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	cp = &controlPlane{dir: dir, ips: newAddrPool()}
	defer func() {
		if err != nil {
			cp.stop(true)
		}
	}()
	steps := []func(context.Context, string, string) error{
		cp.writeCredentials,
		func(ctx context.Context, _, _ string) error { return cp.startEtcd(ctx, etcd) },
		cp.startAPIServer,
		cp.startControllerManager,
	}
	for _, step := range steps {
		if err := step(ctx, bin, dir); err != nil {
			return cp, err
		}
	}
	return cp, nil
}

// findEtcd finds Debian's etcd-server binary.
func findEtcd() (string, error) {
	for _, p := range []string{"/usr/bin/etcd", "/usr/local/bin/etcd"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("etcd not found: install Debian's etcd-server package (.ci/run does)")
}

// writeCredentials writes the static token file and a service-account
// signing key pair.
func (cp *controlPlane) writeCredentials(_ context.Context, _, dir string) error {
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		adminToken, adminUser, adminUser, readOnlyToken, readOnlyUser, readOnlyUser)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	files := map[string]*pem.Block{
		"sa.key": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)},
		"sa.pub": {Type: "PUBLIC KEY", Bytes: pub},
	}
	for name, block := range files {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

func (cp *controlPlane) startEtcd(ctx context.Context, etcd string) error {
	p, err := startProcess(cp.dir, "etcd", etcd,
		"--name=scalelab-e2e",
		"--data-dir="+filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+etcdPeerURL,
		"--initial-advertise-peer-urls="+etcdPeerURL,
		"--initial-cluster=scalelab-e2e="+etcdPeerURL,
		"--listen-metrics-urls=",
	)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return p.waitReady(ctx, func(ctx context.Context) error {
		body, err := httpGet(ctx, http.DefaultClient, etcdURL+"/health")
		if err != nil {
			return err
		}
		if !strings.Contains(body, `"health":"true"`) {
			return fmt.Errorf("etcd /health: %s", body)
		}
		return nil
	})
}

func (cp *controlPlane) startAPIServer(ctx context.Context, bin, dir string) error {
	certDir := filepath.Join(dir, "certs")
	p, err := startProcess(dir, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--secure-port=6443",
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--cert-dir="+certDir,
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		// etcd 3.4 answers no progress requests: with the watch cache,
		// every consistent read of a quiet resource waits 3 s for it.
		"--watch-cache=false",
	)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	// The API server writes its self-signed serving certificate (with
	// the CA that signed it) before it listens.
	caFile := filepath.Join(certDir, "apiserver.crt")
	return p.waitReady(ctx, func(ctx context.Context) error {
		if _, err := os.Stat(caFile); err != nil {
			return err
		}
		if cp.admin == nil {
			if err := cp.configure(caFile); err != nil {
				return err
			}
		}
		body, err := cp.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("/readyz: %w: %s", err, body)
		}
		return nil
	})
}

// configure makes the REST configs, the admin client and the kubeconfig
// file (contexts admin and read-only) for the API server.
func (cp *controlPlane) configure(caFile string) error {
	mk := func(token string) *rest.Config {
		return &rest.Config{
			Host:            apiServerURL,
			BearerToken:     token,
			TLSClientConfig: rest.TLSClientConfig{CAFile: caFile},
			QPS:             200,
			Burst:           400,
		}
	}
	admin, readOnly := mk(adminToken), mk(readOnlyToken)
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: apiServerURL, CertificateAuthority: caFile}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: adminToken}
	kc.AuthInfos["read-only"] = &clientcmdapi.AuthInfo{Token: readOnlyToken}
	kc.Contexts["admin"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin", Namespace: "default"}
	kc.Contexts["read-only"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "read-only", Namespace: "default"}
	kc.CurrentContext = "admin"
	path := filepath.Join(cp.dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	cp.admin, cp.readOnly, cp.client, cp.kubeconfig = admin, readOnly, client, path
	return nil
}

func (cp *controlPlane) startControllerManager(ctx context.Context, bin, dir string) error {
	p, err := startProcess(dir, "kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig="+cp.kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+filepath.Join(dir, "sa.key"),
		"--controllers=deployment-controller,replicaset-controller,endpointslice-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller,job-controller,ttl-after-finished-controller",
	)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	// It serves no health port (--secure-port=0); the service-account
	// controller creating the default namespace's "default" account
	// shows that its controllers run.
	return p.waitReady(ctx, func(ctx context.Context) error {
		_, err := cp.client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return errNotYet
		}
		return err
	})
}

// stop ends every component, newest first; with showLogs it prints the
// end of each log first (the run failed). The temporary folder is kept
// when the run failed, so the logs can be read.
func (cp *controlPlane) stop(showLogs bool) {
	if cp == nil {
		return
	}
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop(10 * time.Second)
	}
	if showLogs {
		for _, p := range cp.procs {
			fmt.Fprintf(os.Stderr, "--- %s (%s) ends:\n%s\n", p.name, p.log, p.tail(15))
		}
		fmt.Fprintf(os.Stderr, "control-plane logs kept in %s\n", cp.dir)
		return
	}
	_ = os.RemoveAll(cp.dir)
}

// httpGet returns the body of a GET to url.
func httpGet(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}
