package ui

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// TestKubeEventMarkers checks that a Kubernetes Event's marker is its
// reason, a warning for the reasons that report trouble, and that the log
// keeps the whole message.
func TestKubeEventMarkers(t *testing.T) {
	for _, c := range []struct {
		msg   string
		label string
		level common.Level
	}{
		{"k8s Event: Killing pod/web-5d9c-x2k4z: Stopping container target", "Killing", common.Warn},
		{"k8s Event: ScalingReplicaSet deployment/web: Scaled up replica set web-5d9c to 4", "ScalingRepl…", common.Info},
		{"k8s Event: Unhealthy pod/web-5d9c-x2k4z: Readiness probe failed", "Unhealthy", common.Warn},
		{"k8s Event: SuccessfulCreate replicaset/web-5d9c: Created pod: web-5d9c-x2k4z", "SuccessfulC…", common.Info},
	} {
		en := eventEntry(cluster.Event{Time: time.Unix(0, 0), Kind: cluster.KubeEvent, Message: c.msg})
		if en.Label != c.label || en.Level != c.level || en.Text != c.msg {
			t.Errorf("%q: label %q level %v text %q; want %q %v and the whole message", c.msg, en.Label, en.Level, en.Text, c.label, c.level)
		}
	}
}
