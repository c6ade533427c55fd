package session

// NotEndedRollback is a recorded rollback action's error when the
// recording ends before it did (the session was killed while it ran).
const NotEndedRollback = "not ended: the recording ends before it did"

// recordedRollbacks are the rollback actions a recording's events
// (FromRollback, 1.9) say ran, in order: each as it ended, or, when the
// recording ends first, not OK with NotEndedRollback. None in an older
// file.
func recordedRollbacks(events []Event) []RollbackResult {
	var (
		out     []RollbackResult
		running = -1 // the action started and not ended: one at a time
	)
	for _, e := range events {
		if e.Source != FromRollback || e.Rollback == nil {
			continue
		}
		r := *e.Rollback
		switch e.Kind {
		case "started":
			r.OK, r.Error, r.DurationS = false, NotEndedRollback, 0
			out = append(out, r)
			running = len(out) - 1
		case "completed", "failed":
			if running >= 0 && out[running].Action == r.Action {
				out[running] = r
			} else {
				out = append(out, r)
			}
			running = -1
		}
	}
	return out
}
