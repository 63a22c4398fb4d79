//go:build linux

package netlab

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandRunsInNamespace(t *testing.T) {
	Skip(t)
	lab, err := New(t, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range lab.Hosts() {
		out, err := h.Command(context.Background(), "ip", "-o", "-4", "addr", "show").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: ip addr: %v\n%s", h.NS, err, out)
		}
		if !strings.Contains(string(out), h.IP.String()+"/24") {
			t.Errorf("%s: want %s/24 in\n%s", h.NS, h.IP, out)
		}
		out, err = h.Command(context.Background(), "ip", "route", "get", "255.255.255.255").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev eth0") {
			t.Errorf("%s: limited broadcast does not leave through eth0: %v\n%s", h.NS, err, out)
		}
	}
}

// TestBroadcastBetweenHosts sends to the limited and the directed broadcast
// address from host 0 and expects both datagrams on hosts 1 and 2, with host
// 0's address as source.
func TestBroadcastBetweenHosts(t *testing.T) {
	Skip(t)
	lab, err := New(t, 3)
	if err != nil {
		t.Fatal(err)
	}
	const port = 2425
	var conns []*net.UDPConn
	for _, h := range lab.Hosts()[1:] {
		err := h.Do(func() error {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: port})
			if err == nil {
				conns = append(conns, c)
			}
			return err
		})
		if err != nil {
			t.Fatalf("listen in %s: %v", h.NS, err)
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var sender *net.UDPConn
	if err := lab.Host(0).Do(func() error {
		var err error
		sender, err = net.ListenUDP("udp4", &net.UDPAddr{Port: port})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	for _, dst := range []net.IP{net.IPv4bcast, Broadcast} {
		msg := []byte("hello " + dst.String())
		if _, err := sender.WriteToUDP(msg, &net.UDPAddr{IP: dst, Port: port}); err != nil {
			t.Fatalf("send to %s: %v", dst, err)
		}
		for i, c := range conns {
			buf := make([]byte, 1500)
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("host %d: no datagram sent to %s: %v", i+1, dst, err)
			}
			if !bytes.Equal(buf[:n], msg) || !from.IP.Equal(lab.Host(0).IP) || from.Port != port {
				t.Errorf("host %d: got %q from %v, want %q from %s", i+1, buf[:n], from, msg, lab.Host(0).Addr(port))
			}
		}
	}
}

func TestCleanupRemovesNamespacesAndProcesses(t *testing.T) {
	Skip(t)
	lab, err := New(t, 1)
	if err != nil {
		t.Fatal(err)
	}
	cmd := lab.Host(0).Command(context.Background(), "sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	lab.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("process in the lab survived Close")
	}
	for _, ns := range listNS() {
		if strings.HasPrefix(ns, lab.Name()) {
			t.Errorf("namespace %s survived Close", ns)
		}
	}
}

func TestStaleNamespacesOfDeadOwnersAreRemoved(t *testing.T) {
	Skip(t)
	// pid 999999999 is above any pid_max, so its owner is surely dead.
	stale := Prefix + "999999999.1-1-br"
	if err := exec.Command("ip", "netns", "add", stale).Run(); err != nil {
		t.Fatalf("ip netns add: %v", err)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", stale).Run() })
	if _, err := New(t, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("/run/netns", stale)); !os.IsNotExist(err) {
		t.Errorf("stale namespace %s not removed (stat: %v)", stale, err)
	}
}
