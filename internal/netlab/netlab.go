//go:build linux

// Package netlab builds throwaway IPv4 labs out of Linux network namespaces
// for tests: one bridge in a namespace of its own and N hosts, each in its own
// namespace with a veth on the bridge and an address in 192.0.2.0/24
// (TEST-NET-1). The root namespace is not touched except for the namespace
// names under /run/netns that `ip netns add` creates.
//
// Everything needs root and iproute2's `ip`; call Skip first.
package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Prefix starts the name of every namespace netlab creates.
const Prefix = "hatolab-"

// MaxHosts is the largest lab New builds (addresses 192.0.2.2 .. 192.0.2.201).
const MaxHosts = 200

// Host is one lab machine: a network namespace with interface eth0.
type Host struct {
	Index int    // 0-based position in the lab
	NS    string // network namespace name (for `ip netns exec`)
	IP    net.IP // 192.0.2.(Index+2) in a Lab; see NewRouted for routed labs
	Iface string // interface name inside NS ("eth0")
}

// Lab is a set of hosts on one bridge (for several subnets joined by a router, see Routed).
type Lab struct {
	t      testing.TB
	name   string // common prefix of this lab's namespaces
	bridge string // namespace holding the bridge
	hosts  []*Host
	once   sync.Once
}

var seq atomic.Int64

// Netmask is the lab's prefix length; Broadcast its directed broadcast address.
var (
	Netmask   = net.CIDRMask(24, 32)
	Broadcast = net.IPv4(192, 0, 2, 255).To4()
)

// Skip skips the test when the lab cannot be built: not root, or no `ip`.
func Skip(t testing.TB) {
	t.Helper()
	if reason := Unavailable(); reason != "" {
		t.Skip("netlab: " + reason)
	}
}

// Unavailable says why labs cannot be built here, or "" when they can.
func Unavailable() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root (run the tests as root, e.g. sudo go test)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "iproute2's `ip` is not installed (Debian package iproute2)"
	}
	return ""
}

// New builds a lab of n hosts and registers its teardown with t.Cleanup.
func New(t testing.TB, n int) (*Lab, error) {
	t.Helper()
	if n < 1 || n > MaxHosts {
		return nil, fmt.Errorf("netlab: %d hosts requested, want 1..%d", n, MaxHosts)
	}
	if reason := Unavailable(); reason != "" {
		return nil, errors.New("netlab: " + reason)
	}
	name, err := newName(t)
	if err != nil {
		return nil, err
	}
	l := &Lab{t: t, name: name}
	l.bridge = l.name + "br"
	t.Cleanup(l.Close)
	if err := l.build(n); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// newName removes the namespaces of dead test processes and returns the name prefix of a new lab:
// Prefix, this process's owner tag and a sequence number, so that removeStale can tell its owner.
func newName(t testing.TB) (string, error) {
	removeStale(t)
	tag, err := ownerTag(os.Getpid())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s-%d-", Prefix, tag, seq.Add(1)), nil
}

func (l *Lab) build(n int) error {
	if err := l.addNS(l.bridge); err != nil {
		return err
	}
	if err := addBridge(l.bridge, "br0"); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		h := &Host{Index: i, NS: fmt.Sprintf("%sh%d", l.name, i), IP: net.IPv4(192, 0, 2, byte(i+2)).To4(), Iface: "eth0"}
		if err := addHost(l.bridge, "br0", fmt.Sprintf("p%d", i), h, nil); err != nil {
			return err
		}
		l.hosts = append(l.hosts, h)
	}
	return waitUp(l.hosts)
}

// addBridge creates bridge br in namespace ns and brings it up.
func addBridge(ns, br string) error {
	steps := [][]string{
		{"link", "add", br, "type", "bridge"},
		// No STP delay, no multicast snooping surprises: frames pass at once.
		{"link", "set", br, "type", "bridge", "forward_delay", "0", "stp_state", "0"},
		{"link", "set", br, "up"},
	}
	for _, s := range steps {
		if err := run(ns, s...); err != nil {
			return err
		}
	}
	return nil
}

// addHost creates h's namespace and plugs its eth0 (address h.IP/24) into bridge br of namespace
// bridgeNS through port. A non-nil gw becomes its default route.
func addHost(bridgeNS, br, port string, h *Host, gw net.IP) error {
	if err := run("", "netns", "add", h.NS); err != nil {
		return err
	}
	// Both ends are created directly in their namespaces.
	if err := run("", "link", "add", "eth0", "netns", h.NS, "type", "veth", "peer", "name", port, "netns", bridgeNS); err != nil {
		return err
	}
	steps := [][]string{
		{bridgeNS, "link", "set", port, "master", br},
		{bridgeNS, "link", "set", port, "up"},
		{h.NS, "link", "set", "lo", "up"},
		{h.NS, "addr", "add", h.IP.String() + "/24", "brd", "+", "dev", "eth0"},
		{h.NS, "link", "set", "eth0", "up"},
		// Limited broadcast leaves through eth0 (even where there is no default route).
		{h.NS, "route", "add", "255.255.255.255/32", "dev", "eth0", "src", h.IP.String()},
	}
	if gw != nil {
		steps = append(steps, []string{h.NS, "route", "add", "default", "via", gw.String(), "dev", "eth0"})
	}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// waitUp waits until every host's interface reports carrier (usually immediate).
func waitUp(hosts []*Host) error {
	deadline := time.Now().Add(5 * time.Second)
	for _, h := range hosts {
		for {
			out, err := output(h.NS, "-o", "link", "show", h.Iface)
			if err == nil && strings.Contains(out, "LOWER_UP") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("netlab: %s %s not up: %s %v", h.NS, h.Iface, out, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func (l *Lab) addNS(name string) error {
	if err := run("", "netns", "add", name); err != nil {
		return err
	}
	return nil
}

// Len is the number of hosts.
func (l *Lab) Len() int { return len(l.hosts) }

// Host returns host i (0-based).
func (l *Lab) Host(i int) *Host { return l.hosts[i] }

// Hosts returns all hosts.
func (l *Lab) Hosts() []*Host { return append([]*Host(nil), l.hosts...) }

// Name is the prefix shared by the lab's namespaces.
func (l *Lab) Name() string { return l.name }

// Close kills every process left in the lab's namespaces and deletes them.
// It runs at most once and is registered with t.Cleanup by New.
func (l *Lab) Close() {
	l.once.Do(func() {
		names := []string{l.bridge}
		for _, h := range l.hosts {
			names = append(names, h.NS)
		}
		destroyLab(l.t, l.name, names)
	})
}

// destroyLab deletes the namespaces names and any other whose name starts with the lab's prefix
// (hosts that failed half way are not in names: they are caught by name).
func destroyLab(t testing.TB, prefix string, names []string) {
	for _, ns := range listNS() {
		if strings.HasPrefix(ns, prefix) && !contains(names, ns) {
			names = append(names, ns)
		}
	}
	for _, ns := range names {
		if err := destroyNS(ns); err != nil {
			t.Logf("netlab: cleanup: %v", err)
		}
	}
}

// Command returns a command that runs name inside the host's namespace
// (through `ip netns exec`). The command is killed with ctx like
// exec.CommandContext; it gets a process group of its own, and Cancel kills
// that whole group. (No Pdeathsig: it fires when the forking OS thread exits,
// and Do lets threads exit. Processes of a test binary that died without
// cleanup are killed by the next New, see removeStale.)
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return KillGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Addr is "IP:port" for this host.
func (h *Host) Addr(port int) string { return net.JoinHostPort(h.IP.String(), strconv.Itoa(port)) }

// KillGroup sends SIGKILL to the process group of a started command.
func KillGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// SignalGroup sends sig to the process group of a started command.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return errors.New("netlab: command not started")
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// KillAll sends SIGKILL to every process left in the host's namespace and
// waits (up to a second) until they are gone.
func (h *Host) KillAll() { killAll(h.NS) }

func killAll(ns string) {
	for try := 0; try < 50; try++ {
		pids := nsPids(ns)
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// destroyNS kills whatever still runs in ns and deletes the namespace.
func destroyNS(ns string) error {
	killAll(ns)
	if err := run("", "netns", "delete", ns); err != nil {
		if _, statErr := os.Stat(filepath.Join("/run/netns", ns)); os.IsNotExist(statErr) {
			return nil
		}
		return err
	}
	return nil
}

func nsPids(ns string) []int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

func listNS() []string {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// ownerTag identifies a process across pid reuse: "<pid>.<start time>".
func ownerTag(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", fmt.Errorf("netlab: owner of pid %d: %w", pid, err)
	}
	// Field 22 (starttime) comes after the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("netlab: cannot parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("netlab: short /proc/%d/stat", pid)
	}
	return fmt.Sprintf("%d.%s", pid, f[19]), nil
}

// removeStale deletes namespaces left by netlab users that have died
// (crashed or killed test binaries). A namespace counts as stale only when its
// name carries netlab's prefix and an owner tag (pid + start time) of a process
// that no longer exists, so labs of other live test processes are never
// touched, even after pid reuse.
func removeStale(t testing.TB) {
	for _, ns := range listNS() {
		rest, ok := strings.CutPrefix(ns, Prefix)
		if !ok {
			continue
		}
		owner, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pidStr, _, ok := strings.Cut(owner, ".")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil {
			continue
		}
		if tag, err := ownerTag(pid); err == nil && tag == owner {
			continue // owner alive
		}
		t.Logf("netlab: removing stale namespace %s of a dead test process", ns)
		if err := destroyNS(ns); err != nil {
			t.Logf("netlab: %v", err)
		}
	}
}

func run(ns string, args ...string) error {
	_, err := output(ns, args...)
	return err
}

func output(ns string, args ...string) (string, error) {
	full := args
	if ns != "" {
		full = append([]string{"-n", ns}, args...)
	}
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("netlab: ip %s: %w: %s", strings.Join(full, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
