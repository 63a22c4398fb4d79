package protocol

import (
	"crypto/rsa"
	"fmt"
	"net/netip"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Address moves. Anyone can send an entry packet with a known host's names, so names heard from a new
// address are a claim, checked before the host's address changes:
//
//   - the host's main address is probed (BR_ENTRY, which every client answers, and GETINFO, which WIN and
//     Hato answer at once); any packet from it within claimWait means it is still there;
//   - the new address must have completed an entry exchange (its BR_ENTRY got our ANSENTRY, or it
//     answered ours);
//   - for a host whose key we know (or whose name carries a fingerprint), the new address must answer
//     GETPUBKEY with that key.
//
// If the main address stayed silent the host moves there (EventHostMoved): a laptop that changed
// networks reappears within claimWait. If it answered, the new address is the host's too (a second
// interface, Host.Addrs), which lets it announce itself, but never rename, mark absent or remove the
// host, and packets to the host keep going to the main address. A key that does not match, or none, is a
// rejected claim (EventRejected). A key alone proves little (it is public), which is why a known host
// that still answers at its address never moves, key or not.

type claim struct {
	host      Host           // what the new address's entry packet said (Addr: the new address)
	key       hostKey        // the names claimed
	old       netip.AddrPort // the host's main address, probed
	promote   bool           // the new address is already the host's: it may become the main one
	needKey   bool           // the new address must answer with the host's key:
	known     *rsa.PublicKey // the one we have, or
	fp        string         // the one its name's fingerprint names
	keyOK     bool
	pk        peerKey // the key the new address answered with
	oldHeard  bool    // the main address spoke since the probe
	exchanged bool    // entry packets went both ways with the new address
}

// claimWait is how long the main address has to answer the probe: the time a peer has to answer an
// introduction (Windows delays ANSENTRY by up to 1 s on a small LAN).
func (n *Node) claimWait() time.Duration {
	if n.cfg.IntroduceWait > 0 {
		return n.cfg.IntroduceWait
	}
	return defaultIntroduceWait
}

// newClaimLocked starts checking the entry h, heard from a new address, which claims old's names. It
// returns nil when no new check starts (one is under way for that address, or too many are). n.mu is held.
// answered: the packet is an ANSENTRY answering our BR_ENTRY.
func (n *Node) newClaimLocked(h Host, old *hostEntry, answered, promote bool) *claim {
	a := h.Addr
	if c := n.claims[a]; c != nil {
		if c.key == h.key() {
			c.host = h
			c.exchanged = c.exchanged || answered
			return nil
		}
		n.dropClaimLocked(a)
	}
	if len(n.claims) >= maxClaims {
		n.log.Debug("claim ignored: too many being checked", "from", a, "user", h.User)
		return nil
	}
	c := &claim{host: h, key: h.key(), old: old.Addr, promote: promote, exchanged: promote || answered}
	if !promote {
		if pk, ok := n.peerKeys.peek(old.Addr); ok {
			c.needKey, c.known = true, pk.key
		}
		if _, fp, ok := crypt.SplitFingerprintName(old.User); ok {
			c.needKey, c.fp = true, fp
		}
	}
	n.claims[a] = c
	n.probed[c.old]++
	return c
}

// dropClaimLocked ends the check of address a. n.mu is held.
func (n *Node) dropClaimLocked(a netip.AddrPort) {
	c, ok := n.claims[a]
	if !ok {
		return
	}
	delete(n.claims, a)
	if n.probed[c.old]--; n.probed[c.old] <= 0 {
		delete(n.probed, c.old)
	}
}

// oldHeardLocked notes a packet from an address being probed. n.mu is held.
func (n *Node) oldHeardLocked(from netip.AddrPort) {
	for _, c := range n.claims {
		if c.old == from {
			c.oldHeard = true
		}
	}
}

// checkClaim probes the claimed host's main address, asks the new address for its key when needed, and
// decides after claimWait.
func (n *Node) checkClaim(a netip.AddrPort, c *claim, reqLen int) {
	n.mu.Lock()
	var old *Host
	if e := n.hosts.entry(c.key); e != nil {
		h := e.copy()
		old = &h
	}
	n.mu.Unlock()
	if old != nil {
		n.answerEntry(wire.BrEntry, old, c.old, reqLen)
		n.answer(c.old, reqLen, n.packetFor(old, wire.GetInfo, "", nil))
	}
	if c.needKey {
		n.answer(a, reqLen, n.packetFor(&c.host, wire.GetPubKey, capsText(), nil))
	}
	n.after(n.claimWait(), func() { n.resolveClaim(a, c) })
}

// claimKey checks an ANSPUBKEY from an address whose claim needs a key; a wrong key decides at once.
func (n *Node) claimKey(from netip.AddrPort, caps crypt.Caps, pub *rsa.PublicKey) {
	n.mu.Lock()
	c := n.claims[from]
	if c == nil || !c.needKey {
		n.mu.Unlock()
		return
	}
	switch {
	case pub == nil:
		c.keyOK = false
	case c.known != nil:
		c.keyOK = c.known.Equal(pub)
	default:
		c.keyOK = crypt.Fingerprint(pub) == c.fp
	}
	if c.keyOK {
		c.pk = peerKey{caps: caps, key: pub}
	}
	n.mu.Unlock()
	if !c.keyOK {
		n.resolveClaim(from, c)
	}
}

// resolveClaim decides a claim: a move, another address of the host, or a rejection.
func (n *Node) resolveClaim(a netip.AddrPort, c *claim) {
	var evs []Event
	n.mu.Lock()
	if n.claims[a] != c {
		n.mu.Unlock()
		return
	}
	n.dropClaimLocked(a)
	e := n.hosts.entry(c.key)
	other := n.hosts.byAddr[a]
	switch {
	case c.needKey && !c.keyOK:
		why := fmt.Sprintf("%s claims to be %s@%s (at %s) but did not answer with its key", a, c.host.User, c.host.Host, c.old)
		evs = append(evs, Event{Kind: EventRejected, Host: c.host, Text: why})
	case !c.exchanged:
		n.log.Debug("claim dropped: no entry exchange with the new address", "from", a, "user", c.host.User)
	case other != nil && other != e:
		// The address announced other names meanwhile.
	case e == nil:
		// The host left meanwhile: the new address is simply a new host.
		e = n.hosts.insert(c.host)
		e.direct, e.exchanged = true, true
		evs = append(evs, Event{Kind: EventHostJoined, Host: e.copy()})
	case e.Addr != c.old:
		// It moved meanwhile: the check was against an address it no longer has.
	case c.oldHeard:
		if !c.promote {
			n.hosts.bind(e, a)
			evs = append(evs, Event{Kind: EventHostUpdated, Host: e.copy()})
		}
	default:
		n.hosts.move(e, a)
		n.hosts.update(e, c.host)
		e.direct, e.exchanged, e.heard = true, true, time.Now()
		n.peerKeys.remove(c.old)
		if c.keyOK {
			n.peerKeys.put(a, c.pk) // the key it proved itself with
		}
		evs = append(evs, Event{Kind: EventHostMoved, Host: e.copy(), Text: c.old.String()})
	}
	evs = append(n.goneLocked(), evs...)
	n.mu.Unlock()
	for _, ev := range evs {
		if ev.Kind == EventRejected {
			n.reject(ev.Host, 0, ev.Text)
			continue
		}
		n.emit(ev)
	}
}
