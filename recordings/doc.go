// Package recordings keeps scalelab sessions in files and reads them back.
//
// A recording holds everything a session showed: a header (format version,
// scalelab version, start time, command line and configuration, target,
// cluster kind), one frame per engine snapshot (its counters and latency
// histograms, also split by the version that answered, the process's CPU
// use and the cluster's state), every event (cluster events, operator
// actions, notes, step results) and a closing summary. Secrets never reach the file: see Redact and its helpers.
//
// The file is a version line followed by self-delimiting records, each
// with a CRC-32C: a JSON header record, then compressed blocks of entries.
// A Writer appends a block at least once a second (FlushEvery), so a killed
// process leaves a file that reads up to its last complete block; a write
// error (a full disk) is reported to OnWarning and the session goes on.
// Open reads a file, reports what it could not read (a truncated or
// corrupt tail, a damaged block) as Problems instead of failing, and
// indexes the frames so that any position is decoded without reading the
// rest. docs/recording-format.md describes the format byte by byte.
package recordings
