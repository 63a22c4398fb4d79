// Package assets embeds Hato's icons and other resources.
//
// The icons are drawn by hand as SVG (icon.svg, tray.svg, badge.svg, away.svg) and rasterized by gen/; run
// `go generate ./assets` after editing one. The PNGs are committed, so a build needs no generator.
package assets

import _ "embed"

//go:generate go run ./gen

// Icon is the application icon, a 256×256 PNG of a pigeon in flight (icon.svg).
//
//go:embed icon.png
var Icon []byte

// Tray is the system tray icon, a 64×64 PNG (tray.svg).
//
//go:embed tray.png
var Tray []byte

// TrayUnread is Tray with a red dot for unread messages, a 64×64 PNG (tray.svg under badge.svg).
//
//go:embed tray-unread.png
var TrayUnread []byte

// TrayAway is Tray in absence mode: an amber moon at the bottom left (tray.svg under away.svg).
//
//go:embed tray-away.png
var TrayAway []byte

// TrayAwayUnread is TrayAway with the red dot for unread messages.
//
//go:embed tray-away-unread.png
var TrayAwayUnread []byte

// Lock marks hosts that encrypt, in the host list (Fyne's theme has no lock icon); an SVG the theme
// colours.
//
//go:embed lock.svg
var Lock []byte
