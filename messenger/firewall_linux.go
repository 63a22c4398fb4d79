package messenger

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// firewallCheck looks for a firewall that drops the IPMsg port: firewalld, ufw, then nftables' rules,
// as far as they can be read (most need root).
func firewallCheck(port int) Check {
	if out, ok := run("firewall-cmd", "--state"); ok && strings.TrimSpace(out) == "running" {
		ports, _ := run("firewall-cmd", "--list-ports")
		return firewalldCheck(ports, port)
	}
	if conf, err := os.ReadFile("/etc/ufw/ufw.conf"); err == nil && strings.Contains(string(conf), "ENABLED=yes") {
		rules, err := os.ReadFile("/etc/ufw/user.rules")
		if err != nil {
			return Check{Name: "firewall", OK: true, Detail: "ufw is on; its rules are not readable here (run as root to check them)"}
		}
		return ufwCheck(string(rules), port)
	}
	if out, ok := run("nft", "list", "ruleset"); ok {
		return nftCheck(out, port)
	}
	return Check{Name: "firewall", OK: true, Detail: "no firewall rules found that Hato can read (nftables needs root to list)"}
}

// run runs a command for a second at most; ok is false when it is missing or fails.
func run(name string, args ...string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	return string(out), err == nil
}

func firewalldCheck(ports string, port int) Check {
	for _, p := range strings.Fields(ports) {
		if p == fmt.Sprintf("%d/udp", port) {
			return Check{Name: "firewall", OK: true, Detail: fmt.Sprintf("firewalld passes %s", p)}
		}
	}
	return Check{Name: "firewall", Detail: fmt.Sprintf("firewalld runs and does not open %d: sudo firewall-cmd --permanent "+
		"--add-port=%d/udp --add-port=%d/tcp && sudo firewall-cmd --reload", port, port, port)}
}

func ufwCheck(rules string, port int) Check {
	for _, line := range strings.Split(rules, "\n") {
		if strings.Contains(line, fmt.Sprintf("--dport %d", port)) && strings.Contains(line, "ACCEPT") {
			return Check{Name: "firewall", OK: true, Detail: fmt.Sprintf("ufw passes port %d", port)}
		}
	}
	return Check{Name: "firewall", Detail: fmt.Sprintf("ufw is on and does not open %d: sudo ufw allow %d", port, port)}
}

// nftCheck finds an input chain that drops by default with no rule accepting the port.
func nftCheck(ruleset string, port int) Check {
	accepts := strings.Contains(ruleset, fmt.Sprintf("dport %d accept", port)) ||
		strings.Contains(ruleset, fmt.Sprintf("dport { %d", port)) || strings.Contains(ruleset, fmt.Sprintf(", %d,", port))
	for _, line := range strings.Split(ruleset, "\n") {
		l := strings.TrimSpace(line)
		if strings.Contains(l, "hook input") && (strings.Contains(l, "policy drop") || strings.Contains(l, "policy reject")) && !accepts {
			return Check{Name: "firewall", Detail: fmt.Sprintf("nftables drops incoming packets by default and no rule accepts port %d: "+
				"add one, e.g. nft add rule inet filter input udp dport %d accept", port, port)}
		}
	}
	return Check{Name: "firewall", OK: true, Detail: fmt.Sprintf("nftables does not drop port %d", port)}
}
