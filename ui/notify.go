package ui

import (
	"strings"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"github.com/gen2brain/beeep"

	"hato/assets"
	"hato/protocol"
	"hato/transfer"
)

// notifyTextMax is how much of a message's first line a notification shows.
const notifyTextMax = 80

// notifier pops up a desktop notification for each message that arrives. It sends through beeep,
// which says when it fails, and falls back to Fyne's notifications, which do not.
type notifier struct {
	app     fyne.App
	send    func(title, body string) error // runs on a goroutine: it may wait on D-Bus or a helper program
	enabled func() bool

	s          *session
	failedOnce sync.Once // the first beeep error is logged, not every one
}

// newNotifier notifies through beeep with the app icon, while the settings say so.
func newNotifier(s *session) *notifier {
	setBeeepName()
	return &notifier{
		app:     s.app,
		send:    func(title, body string) error { return beeep.Notify(title, body, assets.Icon) },
		enabled: func() bool { return s.set.Notifications },
		s:       s,
	}
}

// setBeeepName names the app in beeep's notifications; beeep keeps it in a global.
var setBeeepName = sync.OnceFunc(func() { beeep.AppName = "Hato" })

// message notifies the user of m: who sent it and the start of what it says. Call it on the UI
// goroutine.
func (n *notifier) message(m *protocol.Message) {
	if !n.enabled() {
		return
	}
	title, body := messageTitle(m), messageBody(m)
	send, s := n.send, n.s
	s.work.Go(func() {
		err := send(title, body)
		if err == nil {
			return
		}
		n.failedOnce.Do(func() { s.log.Info("desktop notification failed, using Fyne's", "err", err) })
		s.do(func() { n.app.SendNotification(fyne.NewNotification(title, body)) })
	})
}

// messageTitle is the sender's name, and group when it has one.
func messageTitle(m *protocol.Message) string {
	title := m.From.DisplayName() // the nick, else the user name
	if m.From.Group != "" {
		title += " (" + m.From.Group + ")"
	}
	return title
}

// messageBody is the first line of the text, cut short (nothing of a sealed message's), then how many
// files come with it.
func messageBody(m *protocol.Message) string {
	text := ellipsize(firstLine(m.Text), notifyTextMax)
	if m.Sealed {
		text = lang.L("Sealed message")
	}
	if m.AutoReply {
		text = "[" + lang.L("automatic reply") + "] " + text
	}
	parts := []string{text}
	if m.Files != "" {
		files, _ := transfer.ParseFileList(m.Files) // what parsed is what can be fetched
		pictures := len(transfer.PlaceImages(m.Text, files))
		switch k := len(files) - pictures; k { // the pictures inside the text are not files to save
		case 0:
		case 1:
			parts = append(parts, lang.L("1 file"))
		default:
			parts = append(parts, lang.N("{{.Count}} files", k, map[string]any{"Count": k}))
		}
		switch pictures {
		case 0:
		case 1:
			parts = append(parts, lang.L("1 picture"))
		default:
			parts = append(parts, lang.N("{{.Count}} pictures", pictures, map[string]any{"Count": pictures}))
		}
	}
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// firstLine is the first line of text that is not blank, trimmed.
func firstLine(text string) string {
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// ellipsize cuts s to at most limit runes, ending it with "…" when something was cut.
func ellipsize(s string, limit int) string {
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return strings.TrimRightFunc(string(r[:limit-1]), unicode.IsSpace) + "…"
}
