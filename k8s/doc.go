// Package k8s drives and watches a Kubernetes Deployment through
// client-go, as a cluster.Cluster: the same small interface the local
// fleet implements, so the UI, recordings and demo steps work on a real
// cluster unchanged.
//
// Connect resolves a kubeconfig exactly as kubectl does (KUBECONFIG,
// --kubeconfig, --context, the context's namespace, the in-cluster
// config inside a pod) and checks that the API server answers. New and
// Start attach to one Deployment: informers on the Deployment, its
// ReplicaSets and Pods (its selector), the EndpointSlices of the Service
// that selects its pods, the Events about them and a
// HorizontalPodAutoscaler targeting it.
//
// The actions go through the API the way kubectl does: Scale through the
// scale subresource, Upgrade as a strategic merge patch of the container
// image (`kubectl set image`), Rollback with kubectl's DeploymentRollbacker
// (`kubectl rollout undo`), pause, resume and restart with kubectl's
// object pauser, resumer and restarter, and faults as pod deletions. Each
// action blocks until the rollout converged in the sense of `kubectl
// rollout status` (kubectl's DeploymentStatusViewer says "successfully
// rolled out"), read from the informer's copy of the Deployment.
//
// Safety on a real cluster: Options.ReadOnly refuses every action,
// Options.DryRun sends every write with server-side dry run and reports
// what would happen, MaxKill/MaxKillPercent cap pod deletions and
// MinReplicas bounds scaling down. Every error is one line; RBAC
// refusals name the missing verb and resource.
//
// Endpoints returns the ready endpoints of the Service's EndpointSlices,
// kept current, each with the version its pod runs: what the engine
// balances across when scalelab reaches pod IPs itself.
package k8s
