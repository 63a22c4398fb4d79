package messenger

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Winsock's codes for a taken port and an address not of this machine. Go's syscall.EADDRINUSE on Windows
// is a number of its own that no Winsock call returns, and where Windows has no text for the code (Wine)
// the error reads only "winapi error #10048". Linux never returns these numbers.
const (
	wsaeAddrInUse    = syscall.Errno(10048)
	wsaeAddrNotAvail = syscall.Errno(10049)
)

// IsAddrInUse reports whether binding failed because another program has the port (on Windows too,
// where the error is WSAEADDRINUSE).
func IsAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeAddrInUse) ||
		strings.Contains(err.Error(), "address already in use") ||
		strings.Contains(err.Error(), "Only one usage of each socket address")
}

// isAddrNotAvail reports whether the bind address is not one of this machine's.
func isAddrNotAvail(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, wsaeAddrNotAvail) ||
		strings.Contains(err.Error(), "cannot assign requested address") ||
		strings.Contains(err.Error(), "requested address is not valid")
}

// plainError says what went wrong in the user's words and keeps the system's error for errors.Is.
type plainError struct {
	msg string
	err error
}

func (e *plainError) Error() string { return e.msg }
func (e *plainError) Unwrap() error { return e.err }

// explainListen turns the node's bind errors into the setting to change.
func explainListen(err error, s Settings) error {
	switch {
	case IsAddrInUse(err):
		return &SettingError{Field: "port", Err: &plainError{
			msg: fmt.Sprintf("port %d is taken by another program (another IP Messenger?)", s.port()), err: err}}
	case isAddrNotAvail(err):
		return &SettingError{Field: "bind", Err: &plainError{
			msg: fmt.Sprintf("%s is not an address of this computer", s.Bind), err: err}}
	}
	return err
}
