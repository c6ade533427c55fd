package agent

import "testing"

// TestPodName: the pod behind a pod-proxy address, none behind others.
func TestPodName(t *testing.T) {
	for addr, want := range map[string]string{
		"https://10.0.0.1:6443/api/v1/namespaces/load/pods/scalelab-agents-x-0-abcde:7001/proxy": "scalelab-agents-x-0-abcde",
		"https://10.0.0.1:6443/api/v1/namespaces/load/pods/web-1/proxy":                          "web-1",
		"127.0.0.1:7001": "",
		"https://10.0.0.1:6443/api/v1/pods/x:7001/proxy":                "",
		"https://10.0.0.1:6443/api/v1/namespaces/load/pods/:7001/proxy": "",
		"https://10.0.0.1:6443/api/v1/namespaces/load/pods/a/b:1/proxy": "",
	} {
		got, ok := PodName(addr)
		if got != want || ok != (want != "") {
			t.Errorf("PodName(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}
