// Package messenger is the one place that owns a running Hato: its profile (settings, keys, history,
// packet numbers), the IPMsg node, the file server and the fetcher, every goroutine they need under one
// context, and one stream of events. The desktop app (package ui) and the command line (package cli)
// are faces over it; neither builds a node of its own. It imports no Fyne.
//
// A Hato with a profile also listens on the profile's control endpoint (package messenger/control):
// a `hato send` typed while the app runs is carried out by the running Hato, so that every packet
// leaves from the node that owns the IPMsg port.
package messenger
