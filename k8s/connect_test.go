package k8s

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig with contexts "a" (cluster c1 at
// server, namespace shop; current) and "b" (cluster c2), and returns its
// path.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c1"] = &clientcmdapi.Cluster{Server: server}
	kc.Clusters["c2"] = &clientcmdapi.Cluster{Server: server}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	kc.Contexts["a"] = &clientcmdapi.Context{Cluster: "c1", AuthInfo: "u", Namespace: "shop"}
	kc.Contexts["b"] = &clientcmdapi.Context{Cluster: "c2", AuthInfo: "u"}
	kc.CurrentContext = "a"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// isolate keeps the test from the machine's kubeconfig and in-cluster
// environment.
func isolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
}

// apiServer is a loopback server answering /version with status.
func apiServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestConnectLikeKubectl(t *testing.T) {
	isolate(t)
	srv := apiServer(t, http.StatusOK)
	path := writeKubeconfig(t, srv.URL)

	c, err := Connect(ConnectOptions{Kubeconfig: path})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if c.Namespace != "shop" || c.Context != "a" || c.Cluster != "c1" || c.Config.Host != srv.URL || c.Client == nil {
		t.Errorf("connection %+v", c)
	}
	// KUBECONFIG, --context, and a context without a namespace.
	t.Setenv("KUBECONFIG", path)
	if c, err = Connect(ConnectOptions{Context: "b"}); err != nil || c.Namespace != "default" || c.Cluster != "c2" {
		t.Errorf("context b via $KUBECONFIG: %+v, %v; want namespace default, cluster c2", c, err)
	}
	// -n wins over the context's namespace.
	if c, err = Connect(ConnectOptions{Namespace: "other"}); err != nil || c.Namespace != "other" {
		t.Errorf("-n other: %+v, %v", c, err)
	}
}

func TestConnectErrorsAreOneLine(t *testing.T) {
	isolate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	good := writeKubeconfig(t, apiServer(t, http.StatusOK).URL)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	garbage := write("garbage", "hello")
	empty := write("empty", "")
	kc, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	noCA := write("noca", strings.Replace(string(kc), "    server: ", "    certificate-authority: /nonexistent/ca.crt\n    server: ", 1))
	for _, c := range []struct {
		name string
		o    ConnectOptions
		want string
	}{
		{"none", ConnectOptions{}, "no kubeconfig: none in ~/.kube/config, not in a pod; set KUBECONFIG or --kubeconfig"},
		{"missing file", ConnectOptions{Kubeconfig: "/nonexistent/kubeconfig"}, "kubeconfig /nonexistent/kubeconfig: no such file"},
		{"context", ConnectOptions{Kubeconfig: good, Context: "nope"}, `context "nope" not found in kubeconfig ` + good + ` (contexts: a, b)`},
		{"unreachable", ConnectOptions{Kubeconfig: writeKubeconfig(t, closed), Timeout: 2 * time.Second}, "API server " + closed + " (context a) unreachable: "},
		{"bad namespace", ConnectOptions{Kubeconfig: good, Namespace: "Shop"}, `namespace "Shop": want a DNS label`},
		{"garbage", ConnectOptions{Kubeconfig: garbage}, "kubeconfig " + garbage + ": not a kubeconfig: the file is a string"},
		{"empty", ConnectOptions{Kubeconfig: empty}, "kubeconfig " + empty + ": empty"},
		{"missing CA", ConnectOptions{Kubeconfig: noCA}, "kubeconfig " + noCA + ": certificate-authority /nonexistent/ca.crt (of c1): no such file"},
		{"unauthorized", ConnectOptions{Kubeconfig: writeKubeconfig(t, apiServer(t, http.StatusUnauthorized).URL)}, "(context a) rejected the credentials"},
	} {
		_, err := Connect(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
	}
}
