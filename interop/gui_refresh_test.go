//go:build linux

package interop

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostCounts are the host list's sizes the app logged (HATO_LOG=debug), in order.
var hostCountLine = regexp.MustCompile(`host list hosts=(\d+)`)

func hostCounts(log string) []int {
	var out []int
	for _, m := range hostCountLine.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// TestDesktopAppRefresh: the real app with four peers; its Refresh button asks the LAN again, and the
// list never empties while the answers come (it used to stay at 0 for good).
func TestDesktopAppRefresh(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool"})
	guiBinary(t)
	hatoBinary(t)
	lab := newLab(t, 5)
	app, main := startAppWindow(t, lab.Host(0))
	for i := 1; i <= 4; i++ {
		startServe(t, lab.Host(i), identity{Nick: fmt.Sprintf("peer%d", i), User: fmt.Sprintf("u%d", i), Host: fmt.Sprintf("h%d", i)})
	}
	report := func() string { return "" }
	waitLog := func(what string, timeout time.Duration, from int, ok func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !ok(app.log.String()[from:]) {
			if time.Now().After(deadline) {
				app.fail(report, "no %s within %v", what, timeout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitLog("four peers in the list", 30*time.Second, 0, func(l string) bool {
		c := hostCounts(l)
		return len(c) > 0 && c[len(c)-1] == 4
	})

	mark := len(app.log.String())
	app.click(report, main, 662, 22) // the refresh button, top right
	start := time.Now()
	waitLog("the refresh's end", 10*time.Second, mark, func(l string) bool { return strings.Contains(l, "refreshed answered=") })
	took := time.Since(start)
	after := app.log.String()[mark:]
	if !strings.Contains(after, "DEBUG refresh") {
		app.fail(report, "the click did not reach the refresh button")
	}
	if !strings.Contains(after, "refreshed answered=4") {
		app.fail(report, "the refresh ended with %s, want all four", regexp.MustCompile(`refreshed answered=\d+`).FindString(after))
	}
	for _, n := range hostCounts(after) {
		if n < 4 {
			app.fail(report, "the list went down to %d during the refresh (counts %v)", n, hostCounts(after))
		}
	}
	t.Logf("refresh with four peers: %v, the list stayed at 4 throughout", took.Round(10*time.Millisecond))
}
