//go:build linux

package interop

// palsScript reads iptux's pal list through AT-SPI (python3-pyatspi) and
// prints it as a JSON array of {"ip","nick","group","user","host"}.
//
// Where the facts come from (iptux 0.8.3, English UI, verified in the lab):
// the main window's pal tree ("tree table") has one cell per pal named
// "nick\nIP" in its default view, and a pal that sent BR_EXIT disappears from
// it. The "Find" pane's table has the columns Nickname (no accessible name),
// Group, IPv4, User, Host; it is refilled when its search text changes, but
// keeps pals that have left, so only pals present in the tree are reported.
//
// With "--close-chat IP" it instead presses the "Close" button of the chat
// window whose title ends with "IP:<IP>"; with "--input IP" it prints, as a
// JSON string, the text in that window's message box (its editable text).
//
// libatspi caches window lists, so each query runs in a fresh process.
const palsScript = `
import json, sys, time
import pyatspi
` + atspiWalk + `
def iptux():
    for a in pyatspi.Registry.getDesktop(0):
        if a is not None and a.name == "iptux":
            return a
    print(json.dumps({"error": "iptux is not on the accessibility bus"}))
    sys.exit(1)

def pals(app):
    nodes = []
    walk(app, nodes)
    frames = [n for n in nodes if n.getRoleName() == "frame" and n.name == "Iptux"]
    if not frames:
        print("no main window (frame 'Iptux')", file=sys.stderr)
        return 1
    main = []
    walk(frames[0], main)
    found = {}
    for tree in [n for n in main if n.getRoleName() == "tree table"][:1]:
        sub = []
        walk(tree, sub)
        for n in sub:
            if n.getRoleName() == "table cell" and "\n" in (n.name or ""):
                nick, ip = n.name.rsplit("\n", 1)
                found[ip] = {"ip": ip, "nick": nick}
    find = [n for n in main if n.getRoleName() == "menu item" and n.name == "Find"]
    text = [n for n in main if n.getRoleName() == "text"]
    table = [n for n in main if n.getRoleName() == "table"]
    if find and text and table:
        find[0].queryAction().doAction(0)
        et = text[0].queryEditableText()
        et.setTextContents("")
        et.setTextContents(".")
        time.sleep(0.2)
        ti = table[0].queryTable()
        for r in range(ti.nRows):
            row = [ti.getAccessibleAt(r, c).name for c in range(ti.nColumns)]
            if len(row) >= 5 and row[2] in found:
                found[row[2]].update(group=row[1], user=row[3], host=row[4])
    print(json.dumps(sorted(found.values(), key=lambda p: p["ip"]), ensure_ascii=False))
    return 0

def chat_nodes(app, ip):
    for i in range(app.childCount):
        w = app.getChildAtIndex(i)
        if w is not None and (w.name or "").endswith("IP:" + ip):
            nodes = []
            walk(w, nodes)
            return nodes
    print("no chat window for " + ip, file=sys.stderr)
    sys.exit(1)

def close_chat(app, ip):
    buttons = [n for n in chat_nodes(app, ip) if n.getRoleName() == "push button" and n.name == "Close"]
    if not buttons:
        print("no Close button", file=sys.stderr)
        return 1
    buttons[-1].queryAction().doAction(0)
    print("closed")
    return 0

def chat_input(app, ip):
    for n in chat_nodes(app, ip):
        if n.getRoleName() == "text" and n.getState().contains(pyatspi.STATE_EDITABLE):
            t = n.queryText()
            print(json.dumps(t.getText(0, t.characterCount), ensure_ascii=False))
            return 0
    print("no editable text in the chat window", file=sys.stderr)
    return 1

app = iptux()
if len(sys.argv) == 3 and sys.argv[1] == "--close-chat":
    sys.exit(close_chat(app, sys.argv[2]))
if len(sys.argv) == 3 and sys.argv[1] == "--input":
    sys.exit(chat_input(app, sys.argv[2]))
sys.exit(pals(app))
`

// atspiWalk is the Python function both AT-SPI scripts use to list an accessible and all below it.
const atspiWalk = `
def walk(a, out):
    out.append(a)
    for i in range(a.childCount):
        c = a.getChildAtIndex(i)
        if c is not None:
            walk(c, out)
`
