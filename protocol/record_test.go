package protocol

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"hato/protocol/wire"
)

// RECVMSG goes out only once the message is recorded (Record runs before anything else of the message,
// so a repeat is answered after that too), and a failed record still answers (the message is shown, marked not saved). NOLOGOPT messages are not
// recorded unless the user overrides it.
func TestAckAfterRecord(t *testing.T) {
	port := testPort(t)
	release := make(chan struct{})
	var recorded []string
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Record = func(m *Message) error {
			if m.Text == "slow" {
				<-release
			}
			if m.Text == "broken" {
				return errors.New("disk full")
			}
			recorded = append(recorded, m.Text) // the read loop calls Record: one at a time
			m.RecordID = int64(len(recorded))
			return nil
		}
	})
	win := newRawPeer(t, "127.0.0.3", port, n.addr)
	send := func(no int, cmd wire.Command, text string) {
		win.send(t, "1:"+strconv.Itoa(no)+":taro:PC01:"+strconv.Itoa(int(cmd))+":"+text+"\x00")
	}
	msg := wire.SendMsg | wire.SendCheckOpt

	go func() { time.Sleep(500 * time.Millisecond); close(release) }()
	send(1700000001, msg, "slow")
	send(1700000001, msg, "slow") // the sender's resend: answered only after the first copy was recorded
	start := time.Now()
	ack, _ := win.expect(t, wire.RecvMsg, 3*time.Second)
	if waited := time.Since(start); string(ack.Msg) != "1700000001" || waited < 400*time.Millisecond {
		t.Errorf("RECVMSG %q after %v, want it only once recorded (500 ms)", ack.Msg, waited)
	}
	m := n.waitEvent(t, "slow", func(ev Event) bool { return message(ev) && ev.Message.Text == "slow" }).Message
	if m.RecordID != 1 || m.RecordErr != nil {
		t.Errorf("recorded message %+v", m)
	}

	send(1700000002, msg, "broken")
	win.expect(t, wire.RecvMsg, 2*time.Second)
	m = n.waitEvent(t, "broken", func(ev Event) bool { return message(ev) && ev.Message.Text == "broken" }).Message
	if m.RecordErr == nil {
		t.Error("a failed record left no mark on the message")
	}

	send(1700000003, msg|wire.NoLogOpt, "off the record")
	win.expect(t, wire.RecvMsg, 2*time.Second)
	m = n.waitEvent(t, "nolog", func(ev Event) bool { return message(ev) && ev.Message.Text == "off the record" }).Message
	if !m.NoLog || m.RecordID != 0 || len(recorded) != 1 {
		t.Errorf("NOLOGOPT message recorded: %+v, %q", m, recorded)
	}
}
