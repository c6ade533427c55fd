package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/valyala/fasthttp"
)

// ErrorClass is the outcome of a request that got no HTTP answer: a
// transport error.
type ErrorClass uint8

// The error classes. Their values are stable (recordings store counts by
// value), so new classes are added at the end; ErrorClasses lists them in
// report order.
const (
	ErrTimeout ErrorClass = iota // no complete answer within the timeout
	ErrRefused                   // connection refused
	ErrReset                     // connection reset or closed mid-request
	ErrDNS                       // name resolution failed
	ErrTLS                       // TLS handshake or certificate failure
	ErrOther                     // anything the engine cannot name
	// ErrAbandoned is a request still in flight when the engine stopped
	// waiting for it (see Drain): it got no answer in the time given.
	ErrAbandoned
	// ErrProtocol is an answer the engine could not read as HTTP/1.1: a
	// malformed status line or header, or headers beyond 16 KB.
	ErrProtocol
	// ErrUnreachable is a network or host the machine has no route to, or
	// an address family it does not speak (IPv6 on a host without it).
	ErrUnreachable
	// ErrAddress is an address that cannot be dialled: malformed (a bad
	// port, no port), or no local address or port left to connect from.
	ErrAddress
	numErrorClasses
)

// NumErrorClasses is the number of error classes: Snapshot.Errors's
// length, and one more than the largest class's value.
const NumErrorClasses = int(numErrorClasses)

var errorClassNames = [numErrorClasses]string{
	"timeout", "refused", "reset", "dns", "tls", "other", "abandoned", "protocol", "unreachable", "address",
}

// String returns the class's name as it appears in summaries.
func (c ErrorClass) String() string {
	if c < numErrorClasses {
		return errorClassNames[c]
	}
	return "other"
}

// ErrorClasses lists every error class in report order (other last).
func ErrorClasses() []ErrorClass {
	return []ErrorClass{ErrTimeout, ErrRefused, ErrReset, ErrDNS, ErrTLS, ErrUnreachable, ErrAddress,
		ErrProtocol, ErrAbandoned, ErrOther}
}

// errProtocol and errTLS mark the errors of the phase that names them
// (reading the answer, the TLS handshake) that no other class claims.
var (
	errProtocol = errors.New("not an HTTP answer")
	errTLS      = errors.New("tls handshake")
)

// inPhase returns err marked with the phase's class when Classify would
// not name it otherwise.
func inPhase(err, phase error) error {
	if Classify(err) != ErrOther {
		return err
	}
	return errors.Join(phase, err)
}

// Classify maps a client error to its class.
func Classify(err error) ErrorClass {
	var (
		dnsErr   *net.DNSError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		certErr  *tls.CertificateVerificationError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invErr   x509.CertificateInvalidError
		addrErr  *net.AddrError
		numErr   *strconv.NumError
		invAddr  net.InvalidAddrError
		unkNet   net.UnknownNetworkError
		timeout  interface{ Timeout() bool }
	)
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.As(err, &timeout) && timeout.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.As(err, &dnsErr), noAddresses(err):
		return ErrDNS
	case errors.Is(err, errTLS), errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &certErr),
		errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return ErrTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed),
		errors.Is(err, net.ErrClosed):
		return ErrReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EHOSTDOWN),
		errors.Is(err, syscall.EAFNOSUPPORT), errors.Is(err, syscall.EPROTONOSUPPORT):
		return ErrUnreachable
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.As(err, &addrErr), errors.As(err, &numErr),
		errors.As(err, &invAddr), errors.As(err, &unkNet):
		return ErrAddress
	case errors.Is(err, errProtocol):
		return ErrProtocol
	}
	var brokenChunk fasthttp.ErrBrokenChunk
	if errors.As(err, &brokenChunk) {
		if truncated(brokenChunk) {
			return ErrReset
		}
		return ErrProtocol // a malformed chunk (see Cause)
	}
	return ErrOther
}

// noAddresses reports fasthttp's dialer finding no address for a name (its
// error is not exported: it is matched by its text).
func noAddresses(err error) bool {
	return strings.Contains(err.Error(), "couldn't find dns entries")
}
