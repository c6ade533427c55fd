package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/valyala/fasthttp"
)

// ErrorClass is the outcome of a request that got no HTTP status.
type ErrorClass uint8

// The error classes, in the order they are reported.
const (
	ErrTimeout ErrorClass = iota // no complete answer within the timeout
	ErrRefused                   // connection refused
	ErrReset                     // connection reset or closed mid-request
	ErrDNS                       // name resolution failed
	ErrTLS                       // TLS handshake or certificate failure
	ErrOther                     // anything else
	numErrorClasses
)

var errorClassNames = [numErrorClasses]string{"timeout", "refused", "reset", "dns", "tls", "other"}

// String returns the class's name as it appears in summaries.
func (c ErrorClass) String() string {
	if c < numErrorClasses {
		return errorClassNames[c]
	}
	return "other"
}

// ErrorClasses lists every error class in report order.
func ErrorClasses() []ErrorClass {
	return []ErrorClass{ErrTimeout, ErrRefused, ErrReset, ErrDNS, ErrTLS, ErrOther}
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
		timeout  interface{ Timeout() bool }
	)
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.As(err, &timeout) && timeout.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.As(err, &dnsErr):
		return ErrDNS
	case errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &certErr),
		errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return ErrTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed),
		errors.Is(err, net.ErrClosed):
		return ErrReset
	}
	var brokenChunk fasthttp.ErrBrokenChunk
	if errors.As(err, &brokenChunk) {
		return ErrReset
	}
	return ErrOther
}
