package engine

import "time"

// A kept-alive connection may have been closed by the server while it was
// idle (a keep-alive timeout, a graceful shutdown). A request written on
// it fails without reaching the server and would be counted as a reset the
// server never saw. So before a request is written on a connection left
// idle for staleAfter or more, the worker checks that the server has not
// closed it (or sent something unasked, which would be misread as the
// answer); if it has, nothing is sent on it and the request goes out on a
// new connection (a fresh one needs no check). This is the case Go's
// net/http retries too, and the only retry the engine makes. Busy
// connections skip the check, which costs a system call.
const staleAfter = time.Millisecond

// idleMax is how long a connection may stay idle before it is closed rather
// than used again.
const idleMax = time.Minute
