//go:build tools

// Package controlplane pins the control-plane commands the end-to-end tests
// run; build-controlplane.sh builds them with `go build` in this module.
package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
