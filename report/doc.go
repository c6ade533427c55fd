// Package report is a run's results, from a live session or from a
// recording: the summary (its JSON is the documented wire format of
// --json and of a recording's closing summary), the steps report, the
// load model's changes, the text writers for people (the summary, the
// steps table, the headless live line) and the redaction of what is
// recorded.
package report
