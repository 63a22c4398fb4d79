//go:build linux

package interop

import (
	"fmt"
	"testing"
	"time"
)

// TestBroadcastDiscovery runs `hato serve` in three namespaces with no
// --broadcast-addr: each must find the others through real broadcast
// (255.255.255.255 and 192.0.2.255), `hato list --json` from a fourth must
// list all three, and a node stopped with SIGTERM must be reported as
// host-left by the others.
func TestBroadcastDiscovery(t *testing.T) {
	needLab(t)
	hatoBinary(t)
	lab := newLab(t, 4)
	ids := []identity{
		{Nick: "日本語ノード", Group: "中文组", User: "alice", Host: "host-a"},
		{Nick: "bob", Group: "QA", User: "bob", Host: "host-b"},
		{Nick: "Ωmega 鳩", Group: "中文组", User: "carol", Host: "host-c"},
	}
	var nodes []*server
	for i, id := range ids {
		nodes = append(nodes, startServe(t, lab.Host(i), id))
	}
	addr := func(i int) string { return lab.Host(i).Addr(2425) }
	same := func(id identity) func(jsonHost) bool {
		return func(h jsonHost) bool {
			return h.Nick == id.Nick && h.Group == id.Group && h.User == id.User && h.Host == id.Host && !h.Absent
		}
	}
	for i, n := range nodes {
		for j, id := range ids {
			if i != j {
				n.waitHost(t, 15*time.Second, addr(j), fmt.Sprintf("host-joined for %s with %+v", addr(j), id), same(id))
			}
		}
	}

	t.Run("list", func(t *testing.T) {
		hosts := listHosts(t, lab.Host(3), identity{Nick: "lister", User: "lister", Host: "host-d"}, 3*time.Second)
		for j, id := range ids {
			found := false
			for _, h := range hosts {
				if h.Addr == addr(j) {
					found = true
					if !same(id)(h) {
						t.Errorf("hato list --json: %s is %+v, want %+v present", addr(j), h, id)
					}
				}
			}
			if !found {
				t.Errorf("hato list --json does not list %s (%s); got %+v", addr(j), id.Nick, hosts)
			}
		}
	})

	t.Run("host-left", func(t *testing.T) {
		nodes[2].stop(t)
		for i := 0; i < 2; i++ {
			nodes[i].wait(t, 10*time.Second, "host-left for "+addr(2), func(e event) bool {
				return e.Event == "host-left" && e.Host != nil && e.Host.Addr == addr(2)
			})
		}
	})
}
