// Package session is a run's one lifecycle, from a configuration to a
// result, and the fan-out of what the run produces to its consumers.
//
// A session subscribes to its cluster before starting it (so its first
// events are seen), starts it within StartTimeout, resolves the load's
// target (a fleet's address is known only once it listens), opens its
// sinks, starts the load and the scripted steps, and when the load ends
// (its window, or the context: the operator stopped it) waits for the
// requests in flight within the engine's drain, stops the steps and the
// cluster, and closes the sinks with the result.
//
// Everything that consumes the run is a Sink registered in Config.Sinks:
// the recording, the UI's feed, the headless live line, --out streams,
// and next thresholds, probes and the canary judge. A snapshot travels one
// way, engine → session → sinks: every sink sees every tick and every event,
// in one order, each with its own copy of the tick's snapshot, so that no
// sink can change what another sees.
//
// Replay plays a recorded session through the same sinks, as fast as they
// take it: a replay's summary and --out streams are made by the code that
// made the live ones. The terminal UI's player is the exception: it seeks,
// back to the start and ahead by minutes, which a stream of ticks cannot,
// so it reads the recording's frames itself; its closing summary is
// Replay's.
package session
