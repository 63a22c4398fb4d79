package protocol

import (
	"net/netip"
	"time"
)

// bucket is a token bucket: it fills at rate tokens a second up to burst, and starts full.
type bucket struct {
	tokens float64
	last   time.Time
}

// take removes n tokens if there are that many, reporting whether it did.
func (b *bucket) take(now time.Time, rate, burst, n float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
	}
	b.last = now
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// limiter is one token bucket per IP address (the least recently used forgotten beyond maxSources) plus
// one for all addresses together, so that a flood from many addresses is bounded too. The node's mutex
// guards it.
type limiter struct {
	rate, burst             float64
	globalRate, globalBurst float64
	perIP                   *lru[netip.Addr, *bucket]
	global                  bucket
}

func newLimiter(rate, burst, globalRate, globalBurst float64) *limiter {
	return &limiter{rate: rate, burst: burst, globalRate: globalRate, globalBurst: globalBurst,
		perIP: newLRU[netip.Addr, *bucket](maxSources)}
}

// allow takes one token from ip's bucket and one from the global one, or none when either is empty.
func (l *limiter) allow(ip netip.Addr, now time.Time) bool {
	b, ok := l.perIP.get(ip)
	if !ok {
		b = &bucket{}
		l.perIP.put(ip, b)
	}
	probe := *b
	if !probe.take(now, l.rate, l.burst, 1) {
		*b = probe
		return false
	}
	if !l.global.take(now, l.globalRate, l.globalBurst, 1) {
		return false
	}
	*b = probe
	return true
}
