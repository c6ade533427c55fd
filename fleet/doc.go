// Package fleet runs a local service of replicas behind a load balancer, on
// loopback, and changes it while it takes load: scale, rolling upgrade,
// rollback and faults, reported as timestamped events.
//
// Three runtime objects, each usable on its own:
//   - Replica is the demo service: the code of `scalelab target`, of every
//     fleet replica, and of the pods a test kubelet runs.
//   - Balancer spreads requests round robin over the replicas that pass its
//     active readiness checks, and never retries.
//   - Fleet keeps a desired number of replicas of a version behind a
//     Balancer, the way a Kubernetes Deployment does, and implements
//     cluster.Cluster.
package fleet
