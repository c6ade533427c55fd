package k8s

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAgentsProxyForbiddenIsOneLine checks the agents' client: the API
// server's 403 Status on a pod-proxy POST is one line naming create on
// pods/proxy; other answers, a 403 that is not a Status among them, pass
// unchanged.
func TestAgentsProxyForbiddenIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/namespaces/ns/pods/a:7001/proxy/v1/run":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"a:7001\" is forbidden: User \"u\" cannot create resource \"pods/proxy\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","code":403}`)
		case "/plain":
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "no")
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	hc := &http.Client{Transport: proxyErrors{next: http.DefaultTransport, ns: "ns"}}

	_, err := hc.Post(srv.URL+"/api/v1/namespaces/ns/pods/a:7001/proxy/v1/run", "application/json", strings.NewReader("{}"))
	if err == nil || !strings.Contains(err.Error(), "forbidden: needs create on pods/proxy in namespace ns") || strings.Contains(err.Error(), "\n") ||
		strings.Contains(err.Error(), `"kind"`) {
		t.Errorf("forbidden POST: %v", err)
	}
	for path, want := range map[string]string{"/plain": "no", "/status": "ok"} {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("%s: %q, want %q", path, b, want)
		}
	}
}
