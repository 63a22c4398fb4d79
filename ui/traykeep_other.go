//go:build !linux

package ui

import (
	"context"
	"log/slog"
)

// keepTrayRegistered: Windows and macOS have one tray, always there.
func keepTrayRegistered(context.Context, *slog.Logger) {}
