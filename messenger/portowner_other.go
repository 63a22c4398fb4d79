//go:build !linux

package messenger

// portOwner: only Linux tells who has a port without extra privileges.
func portOwner(string, int) string { return " by another program" }
