//go:build linux

package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dragSource is a GTK 3 window offering one file by XDND, as a file manager does.
const dragSource = `
import sys, gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk, Gdk
uri = "file://" + sys.argv[1]
w = Gtk.Window(title="drag source")
w.set_default_size(200, 120)
b = Gtk.Button(label="drag me")
b.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
b.drag_source_add_uri_targets()
b.connect("drag-data-get", lambda wid, ctx, data, info, t: data.set_uris([uri]))
w.add(b)
w.connect("destroy", Gtk.main_quit)
w.show_all()
Gtk.main()
`

// position is a window's top left corner on the screen.
func position(app *desktopApp, report func() string, win string) (x, y int) {
	out := app.xdo(report, "getwindowgeometry", "--shell", win)
	vals := map[string]int{}
	for _, l := range strings.Fields(out) {
		if k, v, ok := strings.Cut(l, "="); ok {
			vals[k], _ = strconv.Atoi(v)
		}
	}
	return vals["X"], vals["Y"]
}

// TestDesktopAppTakesADrop: a real XDND drag from another program (GTK 3) onto the peer's row attaches
// the file and checks that person; Ctrl+Enter sends it and the peer saves it.
func TestDesktopAppTakesADrop(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", `import gi; gi.require_version("Gtk", "3.0"); from gi.repository import Gtk`).Run(); err != nil {
		skipOrFail(t, "python3-gi with GTK 3 is not installed (scripts/deps.sh test)")
	}
	download := t.TempDir()
	lab := startAppAndPeer(t, nil, identity{Nick: "受け取る人", User: "dropper", Host: "drophost"}, "--download", download)
	app, main, srv := lab.app, lab.main, lab.srv
	report := srv.report
	name := "dropped-" + uniqueStamp() + ".txt"
	src := filepath.Join(t.TempDir(), name)
	payload := []byte("dropped from a file manager\n")
	if err := os.WriteFile(src, payload, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	gtk := app.host.Command(ctx, "/usr/bin/python3", "-c", dragSource, src)
	gtk.Env = app.env
	var gtkOut syncBuffer
	gtk.Stdout, gtk.Stderr = &gtkOut, &gtkOut
	if err := gtk.Start(); err != nil {
		t.Fatalf("the drag source: %v", err)
	}
	t.Cleanup(func() { cancel(); gtk.Wait() })
	report = func() string { return srv.report() + "\n--- drag source:\n" + gtkOut.String() }
	source := app.window(report, 20*time.Second, "^drag source$")
	mx, my := position(app, report, main)
	app.xdo(report, "windowmove", source, strconv.Itoa(mx+700), strconv.Itoa(my)) // beside the main window
	time.Sleep(300 * time.Millisecond)
	sx, sy := position(app, report, source)

	// Press on the button, move in steps (GTK starts a drag past its threshold), release on the row.
	app.xdo(report, "mousemove", strconv.Itoa(sx+100), strconv.Itoa(sy+60), "mousedown", "1")
	tx, ty := mx+150, my+97 // the peer's row
	for i := 1; i <= 20; i++ {
		x := sx + 100 + (tx-sx-100)*i/20
		y := sy + 60 + (ty-sy-60)*i/20
		app.xdo(report, "mousemove", strconv.Itoa(x), strconv.Itoa(y))
		time.Sleep(30 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	app.xdo(report, "mouseup", "1")
	time.Sleep(500 * time.Millisecond)

	// The drop attached the file and checked the peer: Ctrl+Enter sends it.
	app.xdo(report, "windowfocus", "--sync", main)
	app.xdo(report, "key", "ctrl+Return")
	saved := filepath.Join(download, name)
	if _, ok := srv.await(20*time.Second, func(e event) bool { return e.Event == "saved" && strings.Contains(e.line, name) }); !ok {
		app.fail(report, "the peer saved no %s: the drop did not attach it to that person (app log:\n%s)", name, app.log.String())
	}
	if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("saved %q: %v", got, err)
	}
}
