package recordings

import (
	"encoding/json"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Source says where an event came from.
type Source string

// The event sources.
const (
	// FromCluster is a cluster event (Kind is its cluster.EventKind).
	FromCluster Source = "cluster"
	// FromOperator is an operator's action or note as the UI logged it
	// (a rate change, a pause, a failed action, a note).
	FromOperator Source = "operator"
	// FromStep is a scripted step starting or ending; Data holds its
	// experiments.Result.
	FromStep Source = "step"
	// FromJudge is the thresholds' judge: a threshold's state changed
	// (kind "threshold-failed", "threshold-passed") or an abortOnFail
	// threshold stopped the run ("aborted"); Data holds the threshold's
	// status as in the summary's thresholds.
	FromJudge Source = "judge"
	// FromCanary is the canary judge (1.6; an older file has its events
	// from the operator): an interval judged ("canary-interval"), the
	// decision ("canary-decision") and the end of the action taken on it
	// ("canary-promoted", "canary-rolled-back", "canary-action-failed").
	// Label is the event's title ("canary 2/6 pass").
	FromCanary Source = "canary"
	// FromGenerator is the generator's probes (1.6; an older file has
	// none): the generator started setting the pace
	// ("generator-saturated") or stopped ("generator-recovered"). Label
	// is the event's title.
	FromGenerator Source = "generator"
	// FromScrape is a scrape of a target's Prometheus endpoint (--scrape;
	// written by 1.6 since the scrapes came, an older file has none): its
	// reading ("scrape-sampled") or failure ("scrape-failed"); Data holds
	// the reading (probes/scrape.Reading: url, cpu_cores, rss_bytes,
	// values, or error). A reader that does not know the source skips it.
	FromScrape Source = "scrape"
	// FromAgents is the load agents' (--agents-at; written by 1.7 files
	// since the agents came): an agent lost mid-run ("agent-lost"), the
	// message saying when and why; Label is the title.
	FromAgents Source = "agents"
	// FromRollback is a plan's rollback action (1.9; an older file has
	// only the cluster's events it caused): its start ("started") and end
	// ("completed", "failed"); Label is its title ("rollback scale=4"),
	// Data its result as in the summary's rollbacks (action, ok, error,
	// duration_s), the start's not yet ended.
	FromRollback Source = "rollback"
)

// Event is one timestamped thing that happened in a session.
type Event struct {
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Source says where it came from, Kind what it is within its source.
	Source Source `json:"source"`
	Kind   string `json:"kind,omitempty"`
	// Message is the event's text.
	Message string `json:"message"`
	// Replica and Version name the replica and version concerned, if any.
	Replica string `json:"replica,omitempty"`
	Version string `json:"version,omitempty"`
	// Label is an operator event's short title ("rate 800", "scale 5").
	Label string `json:"label,omitempty"`
	// Major and Level are how the UI of a 1.0–1.3 recording marked an
	// operator event (a line through the charts; "warn", "error"); since
	// 1.4 they are not written: a replay marks events from their source
	// and kind, as the live UI does.
	Major bool   `json:"major,omitempty"`
	Level string `json:"level,omitempty"`
	// Data is the event's details, such as a step's result.
	Data json.RawMessage `json:"data,omitempty"`
}

// ClusterEvent is the recording of a cluster event.
func ClusterEvent(e cluster.Event) Event {
	return Event{Time: e.Time, Source: FromCluster, Kind: string(e.Kind), Message: e.Message, Replica: e.Replica, Version: e.Version}
}

// Cluster is the cluster event recorded in e; ok is false when e came from
// another source.
func (e Event) Cluster() (ev cluster.Event, ok bool) {
	if e.Source != FromCluster {
		return cluster.Event{}, false
	}
	return cluster.Event{Time: e.Time, Kind: cluster.EventKind(e.Kind), Replica: e.Replica, Version: e.Version, Message: e.Message}, true
}
