//go:build linux

// Package interop holds Hato's multi-host tests: hato nodes in network
// namespaces (see internal/netlab) talking to each other through real
// broadcast, and to iptux 0.8.3 running headless under Xvfb.
//
// The tests need root. Without HATO_INTEROP=require they skip when root or a
// tool is missing; with it (CI) they fail instead. Debian packages used:
// iproute2 (ip), iptux, xvfb (Xvfb), xdotool, dbus-daemon,
// libglib2.0-bin (gdbus), at-spi2-core, python3-pyatspi, fonts-dejavu-core
// (iptux crashes under Xvfb with no font at all; no CJK font is needed), and
// from the base system util-linux (unshare) and hostname.
//
// HATO_INTEROP_FLAGS adds common flags to every hato command the tests run,
// e.g. HATO_INTEROP_FLAGS="--codepage utf-8".
package interop
