package protocol

import (
	"runtime"
	"time"
)

// Limits on what peers can make the node keep or do. Every per-peer table is bounded, and every answer and
// every expensive step is rate-limited, so that a flood of datagrams costs a bounded amount of memory and
// CPU and the node keeps answering real peers (see README "Protocol behaviour").
const (
	// DefaultMaxHosts is Config.MaxHosts' default: far above any office LAN, small enough that a flood of
	// invented hosts costs a few MB.
	DefaultMaxHosts = 20_000
	// maxHostsPerIP bounds the hosts one IP address can hold (one per port: several instances on one
	// machine), so that a flood from one machine evicts only its own.
	maxHostsPerIP = 16

	// Duplicate detection: a packet's identity is remembered this long, and at most maxDedup of them.
	// Senders resend for a few seconds (WIN and iptux 4 s, READMSG 9 s).
	dedupWindow = 2 * time.Minute
	maxDedup    = 1 << 16

	// maxSources bounds the per-IP state (answer budgets, rate limiters); the least recently heard goes.
	maxSources = 16_384
	// maxClaims bounds the address moves being checked at once.
	maxClaims = 256
	// maxKeyWaits bounds the senders whose ANSPUBKEY we wait for at once.
	maxKeyWaits = 1024
	// maxAutoReplied bounds the senders remembered as already auto-replied to in absence mode.
	maxAutoReplied = 4096
	// maxPendingAnswers bounds the ANSENTRY answers waiting for their random delay.
	maxPendingAnswers = 256

	// Answers to sources that are not known (see Node.knownAddr): bytes out stay within bytes in, after
	// an allowance for the first contact (an ANSENTRY, an acknowledgement or two) of at most
	// unknownAllowance bytes, in packets of at most smallPacket bytes. All unknown sources together get at
	// most unknownGlobalRate bytes a second of such allowances.
	unknownAllowance  = 1024
	smallPacket       = 512
	unknownGlobalRate = 64 << 10

	// Answers to known sources: what an answer carries beyond the request's own size (an ANSLIST page,
	// a key) comes out of a per-IP budget of knownExcessRate bytes a second (burst knownExcessBurst),
	// and of a global one eight times that.
	knownExcessRate  = 64 << 10
	knownExcessBurst = 256 << 10

	// ANSENTRY to a known host's repeated BR_ENTRY, per IP: a burst, then one every two seconds. WIN
	// answers every BR_ENTRY, but a peer announces itself at start, 5 s later and on a refresh: more
	// from the same host is a flood.
	entryAnswerBurst, entryAnswerRate = 3, 0.5

	// Messages from unknown sources shown per IP: a burst, then a rate; and for all of them together.
	unknownMsgBurst, unknownMsgRate             = 10, 1
	unknownMsgGlobalBurst, unknownMsgGlobalRate = 100, 20

	// Decryption (about 1 ms of CPU for RSA-2048): per IP a burst, then a rate (a script may send a few
	// dozen a second); at most decryptQueue messages waiting, decrypted by at most decryptWorkers()
	// goroutines at once, so that the read loop keeps a CPU whatever comes.
	decryptBurst, decryptRate = 64, 32
	decryptQueue              = 32
)

// decryptWorkers leaves at least half of the CPUs to the read loop.
func decryptWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }
