package messenger

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portOwner names the program that has port bound (" by NAME (pid N)"), when /proc tells.
func portOwner(network string, port int) string {
	table := "/proc/net/udp"
	if strings.HasPrefix(network, "tcp") {
		table = "/proc/net/tcp"
	}
	b, err := os.ReadFile(table)
	if err != nil {
		return ""
	}
	inode := socketInode(string(b), port)
	if inode == "" {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if target, err := os.Readlink(fd); err == nil && target == "socket:["+inode+"]" {
			pid := strings.Split(fd, "/")[2]
			name, _ := os.ReadFile("/proc/" + pid + "/comm")
			return fmt.Sprintf(" by %s (pid %s)", strings.TrimSpace(string(name)), pid)
		}
	}
	return ""
}

// socketInode finds the inode of the socket bound to port in a /proc/net/udp or tcp table.
func socketInode(table string, port int) string {
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || !strings.HasSuffix(f[1], want) {
			continue
		}
		if _, err := strconv.Atoi(f[9]); err == nil && f[9] != "0" {
			return f[9]
		}
	}
	return ""
}
