package protocol

import (
	"hash/maphash"
	"net/netip"
	"time"

	"hato/protocol/wire"
)

// Duplicate detection. Senders resend until acknowledged (and iptux sends each broadcast twice), so a
// packet's identity is remembered for a while: its source address, number, command and names. The
// source address is part of it: another machine using the same names and numbers is not a repeat, so it
// cannot make the node drop (and acknowledge) a real sender's message.
//
// A message's repeat is acknowledged only once the first copy was shown (and recorded): a first copy
// that was rejected, or is still being handled, gets its repeats unanswered. A first copy set aside
// unhandled (rate limits, an encrypted message from an unknown sender) is forgotten, so that a resend
// is handled afresh.
//
// Messages and receipts are remembered for dedupWindow (at most maxDedup of them); everything else, whose
// repeats matter only for a moment (iptux's doubled broadcasts), for otherWindow (at most maxDedupOther),
// so that a flood of entries cannot push messages out. Each kind is a ring in arrival order, indexed by a
// 64-bit hash of the identity: O(1) a packet, no allocation, about 60 bytes a remembered packet. (Two
// identities with the same hash would be taken for each other; with 2^64 values and 80,000 remembered
// packets that is about once in 10^14 packets.)

type dedupKey struct {
	src        netip.AddrPort
	no         uint32
	mode       wire.Command
	user, host string
}

func dedupKeyOf(src netip.AddrPort, p wire.Packet) dedupKey {
	return dedupKey{src, p.No, p.Cmd.Mode(), p.User, p.Host}
}

// seenState is what became of a packet's first copy.
type seenState uint8

const (
	seenHandling seenState = iota // being handled (a message: not shown yet)
	seenShown                     // a message shown and recorded: repeats are acknowledged
	seenDropped                   // rejected: repeats are dropped unanswered
)

type dedupEntry struct {
	hash  uint64
	at    int64 // arrival, Unix nanoseconds
	seq   uint64
	state seenState
}

// dedupRing holds entries in arrival order; the map points into it.
type dedupRing struct {
	slots  []dedupEntry
	start  int
	count  int
	window time.Duration
}

type dedup struct {
	seed  maphash.Seed
	m     map[uint64]*dedupEntry
	msgs  dedupRing
	other dedupRing
	seq   uint64
	exits *lru[netip.AddrPort, uint64] // per source: seq when it last said BR_EXIT
}

// otherWindow and maxDedupOther bound the memory of packets other than messages.
const (
	otherWindow   = 10 * time.Second
	maxDedupOther = 1 << 14
)

func newDedup() *dedup {
	return &dedup{seed: maphash.MakeSeed(), m: map[uint64]*dedupEntry{},
		msgs:  dedupRing{slots: make([]dedupEntry, maxDedup), window: dedupWindow},
		other: dedupRing{slots: make([]dedupEntry, maxDedupOther), window: otherWindow},
		exits: newLRU[netip.AddrPort, uint64](maxSources)}
}

// isMessage: the packets whose repeats are acknowledged or reported (SENDMSG, READMSG, DELMSG).
func isMessage(mode wire.Command) bool {
	return mode == wire.SendMsg || mode == wire.ReadMsg || mode == wire.DelMsg
}

// see reports whether k was seen (repeat) and, if so, its first copy's state; a new k is remembered as
// being handled.
func (d *dedup) see(k dedupKey, now time.Time) (state seenState, repeat bool) {
	h := maphash.Comparable(d.seed, k)
	r := &d.other
	if isMessage(k.mode) {
		r = &d.msgs
	}
	d.expire(r, now)
	if e, ok := d.m[h]; ok {
		if exit, ok := d.exits.peek(k.src); !ok || e.seq > exit {
			return e.state, true
		}
		delete(d.m, h) // from before the sender's BR_EXIT: a new process may reuse the number
	}
	if r.count == len(r.slots) {
		d.pop(r)
	}
	d.seq++
	e := &r.slots[(r.start+r.count)%len(r.slots)]
	*e = dedupEntry{hash: h, at: now.UnixNano(), seq: d.seq}
	r.count++
	d.m[h] = e
	return seenHandling, false
}

// set records what became of k's first copy.
func (d *dedup) set(k dedupKey, s seenState) {
	if e, ok := d.m[maphash.Comparable(d.seed, k)]; ok {
		e.state = s
	}
}

// forget drops k: its next copy is handled as new.
func (d *dedup) forget(k dedupKey) { delete(d.m, maphash.Comparable(d.seed, k)) }

// exit forgets what src sent so far (it left; a new process there may reuse packet numbers, as a
// script's next `hato send` in the same second does).
func (d *dedup) exit(src netip.AddrPort) { d.exits.put(src, d.seq) }

func (d *dedup) len() int { return len(d.m) }

// expire drops a ring's entries older than its window, oldest first.
func (d *dedup) expire(r *dedupRing, now time.Time) {
	limit := now.Add(-r.window).UnixNano()
	for r.count > 0 && r.slots[r.start].at < limit {
		d.pop(r)
	}
}

func (d *dedup) pop(r *dedupRing) {
	e := &r.slots[r.start]
	if d.m[e.hash] == e {
		delete(d.m, e.hash)
	}
	r.start = (r.start + 1) % len(r.slots)
	r.count--
}
