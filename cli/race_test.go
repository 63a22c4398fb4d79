//go:build race

package cli

// raceEnabled lets the slowest tests skip under the race detector; the plain run covers them.
const raceEnabled = true
