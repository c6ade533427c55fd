// Package e2e holds scalelab's Kubernetes end-to-end tests: a real etcd,
// kube-apiserver and kube-controller-manager (built by
// build-controlplane.sh from k8s.io/kubernetes in the separate controlplane
// module) started by the harness inside a private network namespace, with a
// test kubelet that runs the demo service in-process on the pods' own
// addresses.
//
// The tests carry the k8se2e build tag, so `go test ./...` does not pick
// them up: `make k8s-e2e` builds the control plane (or reuses the cached
// one), compiles the test binary and runs it under `unshare -n` with lo up
// and 10.244.0.0/24 on lo. The harness refuses to run anywhere else.
package e2e
