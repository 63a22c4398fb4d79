package protocol

import (
	"net/netip"
	"testing"

	"hato/protocol/wire"
)

func TestHostTableAddresses(t *testing.T) {
	tab := newHostTable()
	a1, a2 := addr("192.0.2.2", 2425), addr("198.51.100.2", 2425)
	tab.upsert(Host{User: "taro", Host: "PC01", Addr: a1})
	merged, isNew, changed := tab.upsert(Host{User: "TARO", Host: "pc01", Addr: a2}) // second NIC, same host
	if isNew || !changed || merged.Addr != a1 || len(merged.Addrs) != 2 {
		t.Fatalf("second NIC: new %v changed %v %+v", isNew, changed, merged)
	}
	for _, a := range []netip.AddrPort{a1, a2} {
		if h, ok := tab.at(a); !ok || h.User != "taro" {
			t.Errorf("lookup %s: %v %v", a, h, ok)
		}
	}
	if tab.len() != 1 {
		t.Errorf("%d hosts, want 1", tab.len())
	}
	if _, ok := tab.remove(merged.key()); !ok {
		t.Fatal("remove failed")
	}
	if _, ok := tab.at(a2); ok {
		t.Error("address still found after remove")
	}
}

// A host known from its entry stays so, names and capabilities kept, when a message shows it at another
// address (a second NIC); a host only seen sending becomes known from its entry once it sends one.
func TestHostTableEntry(t *testing.T) {
	tab := newHostTable()
	a1, a2 := addr("192.0.2.2", 2425), addr("198.51.100.2", 2425)
	tab.upsert(Host{User: "taro", Host: "PC01", Nick: "Taro", Caps: wire.CapUTF8Opt, Addr: a1, Entry: true})
	merged, _, _ := tab.upsert(Host{User: "taro", Host: "PC01", Addr: a2}) // addUnknown: a message only
	if !merged.Entry || merged.Nick != "Taro" || merged.Caps != wire.CapUTF8Opt || len(merged.Addrs) != 2 {
		t.Errorf("after a message from a second address: %+v", merged)
	}

	tab.upsert(Host{User: "jiro", Host: "PC02", Addr: addr("192.0.2.3", 2425)})
	merged, isNew, changed := tab.upsert(Host{User: "jiro", Host: "PC02", Nick: "Jiro", Addr: addr("192.0.2.3", 2425), Entry: true})
	if isNew || !changed || !merged.Entry || merged.Nick != "Jiro" {
		t.Errorf("entry after a message: new %v changed %v %+v", isNew, changed, merged)
	}
}
