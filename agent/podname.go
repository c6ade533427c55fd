package agent

import "strings"

// PodName is the pod an agent's address reaches through the API server's
// pod proxy (https://APISERVER/api/v1/namespaces/NS/pods/NAME:PORT/proxy),
// and false for any other address.
func PodName(addr string) (string, bool) {
	i := strings.LastIndex(addr, "/pods/")
	if i < 0 || !strings.HasSuffix(addr, "/proxy") || !strings.Contains(addr[:i], "/namespaces/") {
		return "", false
	}
	pod := strings.TrimSuffix(addr[i+len("/pods/"):], "/proxy")
	if j := strings.LastIndexByte(pod, ':'); j >= 0 {
		pod = pod[:j]
	}
	if pod == "" || strings.Contains(pod, "/") {
		return "", false
	}
	return pod, true
}
