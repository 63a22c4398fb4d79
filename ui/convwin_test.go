package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"hato/protocol"
	"hato/transfer"
)

// The conversation with a person shows every message both ways from the history, in order, pictures in
// place, and sends from its reply box.
func TestConversationWindow(t *testing.T) {
	p := newPair(t, nil, nil)
	p.send(t, "最初のメッセージ", protocol.SendOptions{})
	png := shadePNG(t, 40, 30, 120)
	var r *sent
	p.tx.send(p.peers, "絵: ", protocol.SendOptions{}, nil, []transfer.InlineImage{{At: len("絵: "), PNG: png}}, func(s sent) { r = &s })
	p.tx.q.until(t, "the picture sent", func() bool { return r != nil })

	c := newConvWindow(p.tx.session, p.peers[0])
	t.Cleanup(c.window.Close)
	p.tx.q.until(t, "the conversation", func() bool { return len(c.list.Objects) == 2 })
	all := allText(t, c.list)
	if i, j := strings.Index(all, "最初のメッセージ"), strings.Index(all, "絵:"); i < 0 || j < i {
		t.Errorf("the conversation shows %q", all)
	}
	pictures := 0
	for _, o := range test.LaidOutObjects(c.list) {
		if _, ok := o.(*canvas.Image); ok {
			pictures++
		}
	}
	if pictures != 1 {
		t.Errorf("%d pictures in the conversation, want the one sent", pictures)
	}
	if !c.isWith(p.peers[0]) {
		t.Error("the window is not with its person")
	}

	test.Type(c.entry, "会話から返信")
	c.onSend()
	p.rx.q.until(t, "the reply at the peer", func() bool {
		for _, m := range p.rxGot {
			if m.Text == "会話から返信" {
				return true
			}
		}
		return false
	})
	p.tx.q.until(t, "the reply in the conversation", func() bool { return len(c.list.Objects) == 3 })
	if c.entry.Text != "" || c.status.Text != "" {
		t.Errorf("after sending: entry %q, status %q", c.entry.Text, c.status.Text)
	}
}
