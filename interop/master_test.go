//go:build linux

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hato/internal/netlab"
)

// present is the set of host addresses serve's events leave listed: joined or updated, not left since.
func (s *server) present() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, e := range s.events {
		if e.Host == nil {
			continue
		}
		switch e.Event {
		case "host-joined", "host-updated":
			out[e.Host.Addr] = true
		case "host-left":
			delete(out, e.Host.Addr)
		}
	}
	return out
}

// waitPresent waits until serve lists exactly want (addresses).
func (s *server) waitPresent(t *testing.T, timeout time.Duration, want []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.present()
		var have []string
		for a := range got {
			have = append(have, a)
		}
		slices.Sort(have)
		if slices.Equal(have, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lists %v, want %v\n%s", s.name, have, want, s.report())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMasterAcrossSubnets: four subnets joined by a router that forwards no broadcast; `hato serve
// --master` on the first, three members on each (the real app under Xvfb among them, its master set in
// its profile), every one of them a member by --use-master alone, and a serve that is no member on the
// third. Everyone lists everyone within the master's cycle (the non-member through the agents' sweep of
// its subnet); a message and a file cross the router by nickname; an agent leaving is gone everywhere,
// and another member of its subnet relays the next change there.
func TestMasterAcrossSubnets(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool"})
	hatoBinary(t)
	guiBinary(t) // before the lab: a cold cgo build takes minutes
	lab, err := netlab.NewRouted(t, []int{3, 4, 4, 3})
	if err != nil {
		t.Fatalf("building a routed lab of four subnets: %v", err)
	}
	masterHost := lab.Subnet(0).Host(0)
	masterAddr := masterHost.IP.String()
	master := startServe(t, masterHost, identity{Nick: "master", User: "master", Host: "srv"}, "--master", "--verbose")

	// The app on subnet 3, host 0: a profile that names the master, as the Settings window keeps it.
	appHost := lab.Subnet(3).Host(0)
	profile := t.TempDir()
	settings := fmt.Sprintf(`{"nick": "アプリ", "user": "app", "host": "apphost", "use_master": %q}`, masterAddr)
	if err := os.WriteFile(filepath.Join(profile, "settings.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	app := startDesktopApp(t, appHost, "--profile", profile)

	type member struct {
		host *netlab.Host
		nick string
		srv  *server // nil for the app
	}
	members := []member{{host: appHost, nick: "アプリ"}}
	for i := range 4 {
		for j := range 3 {
			if i == 0 && j == 0 || i == 3 && j == 0 {
				continue
			}
			h := lab.Subnet(i).Host(j)
			nick := fmt.Sprintf("m%d%d", i, j)
			extra := []string{"--use-master", masterAddr}
			if i == 2 && j == 2 {
				extra = append(extra, "--download", t.TempDir())
			}
			members = append(members, member{host: h, nick: nick,
				srv: startServe(t, h, identity{Nick: nick, User: "u" + nick, Host: "h" + nick}, extra...)})
		}
	}
	// A plain serve on subnet 2, no member: the master learns of it from its agents' sweeps there.
	plainHost := lab.Subnet(2).Host(3)
	plain := startServe(t, plainHost, identity{Nick: "plain", User: "plain", Host: "plainhost"})
	everyone := []string{masterHost.Addr(2425), plainHost.Addr(2425)}
	for _, m := range members {
		everyone = append(everyone, m.host.Addr(2425))
	}
	slices.Sort(everyone)
	others := func(self string) []string {
		return slices.DeleteFunc(slices.Clone(everyone), func(a string) bool { return a == self })
	}

	// Everyone lists everyone: the whole list at the first poll, the later ones pushed.
	for _, m := range members {
		if m.srv != nil {
			m.srv.waitPresent(t, 90*time.Second, others(m.host.Addr(2425)))
		}
	}
	master.waitPresent(t, 30*time.Second, others(masterHost.Addr(2425)))
	waitAppCount := func(n int, timeout time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(timeout); ; time.Sleep(200 * time.Millisecond) {
			if c := hostCounts(app.log.String()); len(c) > 0 && c[len(c)-1] == n {
				return
			}
			if time.Now().After(deadline) {
				app.fail(master.report, "the app lists %v hosts, want %d", hostCounts(app.log.String()), n)
			}
		}
	}
	waitAppCount(len(everyone)-1, 60*time.Second)
	if testing.Verbose() {
		app.screenshot() // the app's list of the whole site, to look at
	}

	// A message across two routers' worth of subnets, by nickname, through the running serve of m10.
	m10, m22, m31 := members[3], members[8], members[9]
	if m10.nick != "m10" || m22.nick != "m22" || m31.nick != "m31" {
		t.Fatalf("members in another order: %s %s %s", m10.nick, m22.nick, m31.nick)
	}
	out, errOut, err := runHato(t, m10.host, 30*time.Second, "send", "--profile", m10.srv.profile, "--to", "m31", "from subnet 1 to subnet 3")
	if err != nil || !strings.Contains(out, "delivered to m31") {
		t.Fatalf("send to m31 by nickname: %v\n%s%s", err, out, errOut)
	}
	m31.srv.wait(t, 10*time.Second, "the message from m10", func(e event) bool {
		return e.Event == "message" && e.Text != nil && *e.Text == "from subnet 1 to subnet 3"
	})
	out, errOut, err = runHato(t, m31.host, 30*time.Second, "send", "--profile", m31.srv.profile, "--to", "アプリ", "to the app")
	if err != nil || !strings.Contains(out, "delivered to アプリ") {
		t.Fatalf("send to the app by nickname: %v\n%s%s", err, out, errOut)
	}
	// The non-member, known to subnet 0 only from the sweep of subnet 2, by nickname.
	m01 := members[1]
	out, errOut, err = runHato(t, m01.host, 30*time.Second, "send", "--profile", m01.srv.profile, "--to", "plain", "found by a sweep")
	if err != nil || !strings.Contains(out, "delivered to plain") {
		t.Fatalf("send to the non-member by nickname: %v\n%s%s", err, out, errOut)
	}
	plain.wait(t, 10*time.Second, "the message from m01", func(e event) bool {
		return e.Event == "message" && e.Text != nil && *e.Text == "found by a sweep"
	})
	// A file from subnet 0 to subnet 2, fetched by m22's serve (--download).
	file := filepath.Join(t.TempDir(), "across.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("across the router\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runHato(t, m01.host, 60*time.Second, "send", "--profile", m01.srv.profile, "--to", "m22", "--file", file, "a file")
	if err != nil {
		t.Fatalf("file to m22 by nickname: %v\n%s%s", err, out, errOut)
	}
	m22.srv.wait(t, 10*time.Second, "the file saved", func(e event) bool {
		return e.Event == "saved" && strings.Contains(e.line, "across.txt")
	})

	// hato list through m01's serve still shows everyone, those it has now talked to across the router
	// too (heard directly, they cannot answer its broadcast; before, a Refresh dropped them).
	out, errOut, err = runHato(t, m01.host, 30*time.Second, "list", "--profile", m01.srv.profile)
	if err != nil {
		t.Fatalf("hato list on m01: %v\n%s%s", err, out, errOut)
	}
	for _, a := range others(m01.host.Addr(2425)) {
		if !strings.Contains(out, a+" ") {
			t.Errorf("hato list on m01 lacks %s:\n%s", a, out)
		}
	}

	// An agent of subnet 2 leaves: gone everywhere at the master's next push, and another member there
	// takes its place. A member joining on subnet 1 then reaches subnet 2 through the agents it has now,
	// one of which was none before.
	var agents []string
	for _, m := range regexp.MustCompile(`network=192\.0\.2\.0/24 agents="([^"]*)"`).FindAllStringSubmatch(master.stderr.String(), -1) {
		agents = strings.Fields(m[1])
	}
	if len(agents) != 2 {
		t.Fatalf("subnet 2's agents: %v\n%s", agents, tail(master.stderr.String(), 30))
	}
	var gone member
	for _, m := range members {
		if m.host.Addr(2425) == agents[0] {
			gone = m
		}
	}
	gone.srv.stop(t)
	left := gone.host.Addr(2425)
	everyone = slices.DeleteFunc(everyone, func(a string) bool { return a == left })
	for _, m := range members {
		if m.srv != nil && m.srv != gone.srv {
			m.srv.waitPresent(t, 15*time.Second, others(m.host.Addr(2425)))
		}
	}
	waitAppCount(len(everyone)-1, 15*time.Second)
	joinerHost := lab.Subnet(1).Host(3)
	startServe(t, joinerHost, identity{Nick: "late", User: "late", Host: "latehost"}, "--use-master", masterAddr)
	everyone = append(everyone, joinerHost.Addr(2425))
	slices.Sort(everyone)
	for _, m := range members {
		if m.srv != nil && m.srv != gone.srv {
			m.srv.waitPresent(t, 15*time.Second, others(m.host.Addr(2425)))
		}
	}
	waitAppCount(len(everyone)-1, 15*time.Second)
	// The master picks another agent there at its next tick.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		for _, m := range regexp.MustCompile(`network=192\.0\.2\.0/24 agents="([^"]*)"`).FindAllStringSubmatch(master.stderr.String(), -1) {
			agents = strings.Fields(m[1])
		}
		if len(agents) == 2 && !slices.Contains(agents, left) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subnet 2's agents after %s left: %v\n%s", left, agents, tail(master.stderr.String(), 30))
		}
	}
	// The changes reached the other subnets through agents there, two per subnet.
	if log := master.stderr.String(); !regexp.MustCompile(`changes pushed".* agents=6`).MatchString(log) {
		t.Errorf("the master did not push through two agents per subnet:\n%s", tail(log, 30))
	}
}
