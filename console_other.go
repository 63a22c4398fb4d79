//go:build !windows

package main

// attachConsole: outside Windows a program always has the standard output it was started with.
func attachConsole() {}
