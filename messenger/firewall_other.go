//go:build !linux

package messenger

// firewallCheck: Windows and macOS firewalls ask the user when Hato first listens.
func firewallCheck(port int) Check {
	return Check{Name: "firewall", OK: true, Detail: "the system asks when Hato first listens; allow it for private networks"}
}
