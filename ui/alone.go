package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/messenger"
	"hato/protocol"
)

// aloneAfter is how long an empty list waits before the main window explains what to check.
const aloneAfter = 8 * time.Second

// alonePanel explains an empty list with what Hato can measure (messenger.Diagnose: the same checks as
// hato doctor), and offers to add an address range to the broadcast destinations, the usual cure for
// peers on another subnet.
type alonePanel struct {
	s       *session
	content *fyne.Container
	checks  *widget.Label
	ranges  *widget.Entry
	add     *widget.Button
	status  *widget.Label

	hosts   int           // how many the list shows now
	pending bool          // a look is scheduled or running
	wait    time.Duration // aloneAfter; tests shorten it
	// relayout makes the window give the panel room when it shows or goes (Fyne lays out again only
	// when told).
	relayout func()
}

func newAlonePanel(s *session) *alonePanel {
	p := &alonePanel{s: s, wait: aloneAfter, relayout: func() {}}
	title := &widget.Label{Text: lang.L("Nobody on the LAN yet?"), TextStyle: fyne.TextStyle{Bold: true}}
	p.checks = &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L("Looking…")}
	p.ranges = &widget.Entry{PlaceHolder: "192.168.2.0/24"}
	p.ranges.ExtendBaseWidget(p.ranges)
	p.add = &widget.Button{Text: lang.L("Add this range"), OnTapped: p.onAdd}
	p.add.ExtendBaseWidget(p.add)
	p.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	hint := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L("Others on another subnet? Add their address range; Hato then announces itself to each address in it.")}
	p.content = container.NewVBox(widget.NewSeparator(), title, p.checks, hint, container.NewBorder(nil, nil, nil, p.add, p.ranges), p.status)
	p.content.Hide()
	return p
}

// onHosts follows the list's size: an empty list is looked into after a while; anyone showing up ends it.
func (p *alonePanel) onHosts(n int) {
	p.hosts = n
	if n > 0 {
		if p.content.Visible() {
			p.content.Hide()
			p.relayout()
		}
		return
	}
	if !p.pending {
		p.pending = true
		p.s.after(p.wait, p.look)
	}
}

// look runs the checks on a goroutine, if the list is still empty.
func (p *alonePanel) look() {
	if p.hosts > 0 {
		p.pending = false
		return
	}
	p.content.Show()
	p.relayout()
	p.s.work.Go(func() {
		checks := p.s.h.Diagnose(p.s.ctx, 2*time.Second, "")
		p.s.do(func() { p.shown(checks) })
	})
}

func (p *alonePanel) shown(checks []messenger.Check) {
	p.pending = false
	if p.hosts > 0 {
		p.content.Hide()
		p.relayout()
		return
	}
	var lines []string
	for _, c := range checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		lines = append(lines, mark+" "+c.Name+": "+c.Detail)
	}
	p.checks.SetText(strings.Join(lines, "\n"))
	p.relayout()
}

// onAdd puts the range into the broadcast destinations (the node restarts with it).
func (p *alonePanel) onAdd() {
	r := strings.TrimSpace(p.ranges.Text)
	if _, err := protocol.ParseDestination(r, protocol.DefaultPort); err != nil || r == "" {
		p.status.SetText(lang.L("Not an address range: {{.Error}}", map[string]any{"Error": errText(err)}))
		return
	}
	t := p.s.set
	t.Broadcasts = append(append([]string(nil), t.Broadcasts...), r)
	if err := p.s.applySettings(t); err != nil {
		p.status.SetText(err.Error())
		return
	}
	p.ranges.SetText("")
	p.status.SetText(lang.L("Added {{.Range}}: Hato announces itself there now.", map[string]any{"Range": r}))
}

func errText(err error) string {
	if err == nil {
		return lang.L("empty")
	}
	return err.Error()
}
