package messenger

import (
	"context"
	"fmt"
	"slices"
	"time"

	"hato/protocol"
)

// RefreshWait is how long a refresh waits for answers: peers delay their ANSENTRY at random, by up to
// 1 s on a small LAN and up to 4 s on a large one (Windows' rule, which Hato follows too), so that a
// BR_ENTRY does not set off a storm.
func RefreshWait(hosts int) time.Duration {
	switch {
	case hosts < 50:
		return 1500 * time.Millisecond
	case hosts < 300:
		return 2500 * time.Millisecond
	}
	return 4500 * time.Millisecond
}

// Refresh asks everyone to announce themselves again (BR_ENTRY) and returns, after wait (0: RefreshWait
// for the hosts known now), the hosts that answered, and those a member master lists: those a list
// should show. Hosts that stayed silent are still known to the node; a later packet of theirs brings
// them back.
func (h *Hato) Refresh(ctx context.Context, wait time.Duration) ([]protocol.Host, error) {
	node := h.Node()
	if wait == 0 {
		wait = RefreshWait(len(node.Hosts()))
	}
	start := time.Now()
	if err := node.Announce(); err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("refresh: %w", ctx.Err())
	case <-t.C:
	}
	var out []protocol.Host
	for _, host := range node.Hosts() {
		if !host.Seen.Before(start) {
			out = append(out, host)
		}
	}
	// Hosts on other subnets cannot hear our BR_ENTRY: those the member master lists stay listed.
	for _, host := range node.Listed() {
		if !slices.ContainsFunc(out, func(o protocol.Host) bool { return o.Addr == host.Addr }) {
			out = append(out, host)
		}
	}
	return out, nil
}
