package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// checkAll checks the Dockerfile and the manifests together, as they are
// used: the image's entrypoint with the Deployment's arguments.
func checkAll(ctx context.Context, bin string, files map[string][]byte) error {
	im, err := newImage(files["Dockerfile"])
	if err != nil {
		return err
	}
	errs := []error{checkDockerfile(im)}
	demo, derr := decodeManifest("demo.yaml", files["demo.yaml"])
	rbac, rerr := decodeManifest("rbac.yaml", files["rbac.yaml"])
	loadgen, lerr := decodeManifest("loadgen.yaml", files["loadgen.yaml"])
	nodes, nerr := decodeManifest("rbac-node-metrics.yaml", files["rbac-node-metrics.yaml"])
	errs = append(errs, derr, rerr, lerr, nerr)
	if nerr == nil {
		errs = append(errs, checkNodeMetrics(nodes))
	}
	if derr == nil {
		errs = append(errs, checkDemo(ctx, bin, demo, im))
	}
	if rerr == nil {
		errs = append(errs, checkRBAC(rbac))
	}
	if derr == nil && rerr == nil && lerr == nil {
		errs = append(errs, checkLoadgen(ctx, bin, loadgen, demo, rbac, im))
	}
	return errors.Join(errs...)
}

// TestDeployFolder checks the Dockerfile and manifests as they are.
func TestDeployFolder(t *testing.T) {
	if err := checkAll(t.Context(), scalelabBinary(t), readFiles(t)); err != nil {
		t.Fatal(err)
	}
}

// TestMutatedDeployFolderFails shows that the checks catch what they are
// for: each mutation of a file must fail with a message naming it.
func TestMutatedDeployFolderFails(t *testing.T) {
	bin := scalelabBinary(t)
	files := readFiles(t)
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		// Dockerfile
		{"root user", "Dockerfile", "USER 65532:65532", "USER root", "USER"},
		{"shell-form entrypoint", "Dockerfile", `ENTRYPOINT ["/scalelab", "target", "--listen=:8080"]`, "ENTRYPOINT /scalelab target --listen=:8080", "exec form"},
		{"cgo", "Dockerfile", "CGO_ENABLED=0", "CGO_ENABLED=1", "CGO_ENABLED=0"},
		{"fat final image", "Dockerfile", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM golang:1.26", "final stage"},
		{"binary elsewhere", "Dockerfile", "/out/scalelab /scalelab", "/out/scalelab /usr/bin/scalelab", "no COPY"},
		{"version pinned in the image", "Dockerfile", "SCALELAB_VERSION=${VERSION}", "SCALELAB_VERSION=v1", "VERSION"},
		{"flag typo in the entrypoint", "Dockerfile", `"--listen=:8080"`, `"--lsiten=:8080"`, "unknown flag: --lsiten"},
		{"listen on loopback", "Dockerfile", `"--listen=:8080"`, `"--listen=127.0.0.1:8080"`, "listens on 127.0.0.1:8080 only"},
		{"listen elsewhere", "Dockerfile", `"--listen=:8080"]`, `"--listen=:9090"]`, "where the target listens"},
		// demo.yaml
		{"unknown field", "demo.yaml", "readinessProbe:", "readinesProbe:", `unknown field "spec.template.spec.containers[0].readinesProbe"`},
		{"wrong type", "demo.yaml", "replicas: 4", `replicas: "4"`, "replicas"},
		{"namespace in the manifest", "demo.yaml", "  name: scalelab-demo\n", "  name: scalelab-demo\n  namespace: default\n", "namespace"},
		{"readiness on the catch-all", "demo.yaml", "path: /readyz", "path: /ready", "readinessProbe /ready answered 200 from the application"},
		{"readiness on liveness", "demo.yaml", "path: /readyz", "path: /healthz", "while draining"},
		{"liveness typo", "demo.yaml", "path: /healthz", "path: /health", "livenessProbe /health"},
		{"liveness on readiness", "demo.yaml", "path: /healthz", "path: /readyz", "restart a draining pod"},
		{"probe on another port", "demo.yaml", "path: /healthz\n              port: http", "path: /healthz\n              port: 9090", "livenessProbe port 9090 (9090): the target listens on 8080"},
		{"container port", "demo.yaml", "containerPort: 8080", "containerPort: 8081", "container ports"},
		{"service targetPort", "demo.yaml", "targetPort: http", "targetPort: 8081", "targetPorts"},
		{"service selects nothing", "demo.yaml", "type: ClusterIP\n  selector:\n    app.kubernetes.io/name: scalelab-target", "type: ClusterIP\n  selector:\n    app.kubernetes.io/name: other", "Service selector"},
		{"deployment selector", "demo.yaml", "matchLabels:\n      app.kubernetes.io/name: scalelab-target", "matchLabels:\n      app.kubernetes.io/name: other", "does not select the pod template"},
		{"maxUnavailable", "demo.yaml", "maxUnavailable: 0", "maxUnavailable: 1", "maxUnavailable"},
		{"short grace", "demo.yaml", "terminationGracePeriodSeconds: 15", "terminationGracePeriodSeconds: 8", "terminationGracePeriodSeconds 8s"},
		{"preStop sleep eats the grace", "demo.yaml", "          ports:\n", "          lifecycle:\n            preStop:\n              sleep:\n                seconds: 10\n          ports:\n", "preStop 10s"},
		{"no drain", "demo.yaml", "- --drain=5s", "- --no-drain", "does not drain"},
		{"flag typo", "demo.yaml", "- --drain=5s", "- --drian=5s", "unknown flag: --drian"},
		{"bad flag value", "demo.yaml", "- --latency=2ms..10ms", "- --latency=fast", "--latency"},
		{"version pinned in the Deployment", "demo.yaml", "          ports:\n", "          env:\n            - name: SCALELAB_VERSION\n              value: v1\n          ports:\n", "must come from the image"},
		{"writable root", "demo.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"root allowed", "demo.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"},
		{"no resources", "demo.yaml", "              memory: 128Mi\n", "", "memory limit"},
		// rbac-node-metrics.yaml
		{"node proxy writes", "rbac-node-metrics.yaml", `verbs: ["get"]`, `verbs: ["get", "create"]`, "ClusterRole scalelab-node-metrics grants create on nodes/proxy (core)"},
		{"bound in the file", "rbac-node-metrics.yaml", "    verbs: [\"get\"]\n", "    verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\n  labels:\n    app.kubernetes.io/name: scalelab\n    app.kubernetes.io/part-of: scalelab\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: scalelab-node-metrics\n", "binds"},
		// rbac.yaml
		{"scale forgotten", "rbac.yaml", `verbs: ["get", "update", "patch"]`, `verbs: ["get"]`, "Role scalelab lacks patch on deployments/scale (apps)"},
		{"secrets granted", "rbac.yaml", `resources: ["services", "events"]`, `resources: ["services", "events", "secrets"]`, "Role scalelab grants get on secrets (core)"},
		{"every verb", "rbac.yaml", `verbs: ["get", "list", "watch", "delete"]`, `verbs: ["*"]`, "Role scalelab grants * on pods (core)"},
		{"read-only deletes", "rbac.yaml", `resources: ["pods", "services", "events"]` + "\n    verbs: [\"get\", \"list\", \"watch\"]", `resources: ["pods", "services", "events"]` + "\n    verbs: [\"get\", \"list\", \"watch\", \"delete\"]", "Role scalelab-read-only grants delete on pods (core)"},
		{"cluster-wide", "rbac.yaml", "kind: Role\nmetadata:\n  name: scalelab\n", "kind: ClusterRole\nmetadata:\n  name: scalelab\n", "ClusterRole"},
		{"binding to nothing", "rbac.yaml", "  name: scalelab # in", "  name: scalelab-typo # in", "no RoleBinding of Role scalelab"},
		// loadgen.yaml
		{"another Deployment", "loadgen.yaml", "--k8s=deployment/scalelab-demo", "--k8s=deployment/web", `--k8s "deployment/web"`},
		{"unknown account", "loadgen.yaml", "serviceAccountName: scalelab", "serviceAccountName: default", `serviceAccountName "default"`},
		{"run flag typo", "loadgen.yaml", "- --headless", "- --headles", "unknown flag: --headles"},
		{"bad step", "loadgen.yaml", "--step=10s:scale=6", "--step=10s:scale=six", `step "10s:scale=six"`},
		{"unbounded run", "loadgen.yaml", "            - --duration=90s\n", "", "a bounded run"},
		{"deadline too close", "loadgen.yaml", "activeDeadlineSeconds: 300", "activeDeadlineSeconds: 100", "a bounded run"},
		{"retried", "loadgen.yaml", "backoffLimit: 0", "backoffLimit: 3", "backoffLimit"},
		{"killable", "loadgen.yaml", "      labels:\n        app.kubernetes.io/name: scalelab-loadgen", "      labels:\n        app.kubernetes.io/instance: scalelab-demo\n        app.kubernetes.io/name: scalelab-target", "could delete scalelab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkAll(t.Context(), bin, mutate(t, files, tc.file, tc.old, tc.new))
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %s → %s: got %v, want an error about %q", tc.file, tc.old, tc.new, err, tc.want)
			}
		})
	}
}
