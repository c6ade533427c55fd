// Package deploy holds what runs scalelab's demo on a real Kubernetes
// cluster: the Dockerfile of the demo service (`scalelab target`), its
// Deployment and Service (demo.yaml), the least-privilege RBAC scalelab
// needs in one namespace (rbac.yaml) and a Job that runs scalelab inside
// the cluster, headless (loadgen.yaml).
//
// There is no Go code here. Container images cannot be built in CI, so
// the package's tests stand in for `kubectl apply --dry-run=client`: they
// decode every manifest strictly with client-go's scheme, run the real
// scalelab binary with the image's entrypoint and the Deployment's
// arguments to check the probes, ports, version and drain against what
// it serves, compare the Roles with the API calls scalelab makes, and
// show that mutated manifests fail. The k8s e2e suite applies the
// manifests to a real API server.
package deploy
