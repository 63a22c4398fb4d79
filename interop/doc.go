// Package interop holds Hato's multi-host tests: hato nodes in network
// namespaces (see internal/netlab) talking to each other through real
// broadcast, and to iptux 0.8.3 running headless under Xvfb.
//
// The tests need root. Without HATO_INTEROP=require they skip when root or a
// tool is missing; with it (CI) they fail instead. Debian packages used:
// iproute2, iptux, xvfb, xdotool, dbus-daemon, libglib2.0-bin (gdbus),
// at-spi2-core, python3-pyatspi.
//
// HATO_INTEROP_FLAGS adds common flags to every hato command the tests run,
// e.g. HATO_INTEROP_FLAGS="--codepage utf-8".
package interop
