//go:build !unix

package transfer

// oNoFollow is 0 where the flag does not exist; the Lstat check before opening still applies.
const oNoFollow = 0

// oNonblock is only an optimisation for Unix (see nofollow_unix.go).
const oNonblock = 0
