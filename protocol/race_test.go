//go:build race

package protocol

// raceEnabled scales the floods down under the race detector (ten times slower); the plain run covers
// them at full size.
const raceEnabled = true
