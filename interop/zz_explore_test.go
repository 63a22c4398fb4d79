package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestZZExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	bin := hatoBinary(t)
	lab := newLab(t, 3)
	ix := startIptux(t, lab.Host(0), iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	src := "/tmp/explore/src"
	os.RemoveAll(src)
	os.MkdirAll(filepath.Join(src, "hfolder", "sub", "深い"), 0o755)
	os.WriteFile(filepath.Join(src, "hfile.txt"), []byte("hello file\n"), 0o644)
	os.WriteFile(filepath.Join(src, "hfolder", "a.txt"), []byte("aaaa\n"), 0o644)
	os.WriteFile(filepath.Join(src, "hfolder", "日本語.txt"), []byte("にほんご\n"), 0o644)
	os.WriteFile(filepath.Join(src, "hfolder", "sub", "b.bin"), make([]byte, 300000), 0o644)
	os.WriteFile(filepath.Join(src, "hfolder", "sub", "深い", "c.txt"), []byte("deep\n"), 0o644)
	env := "NS=" + lab.Host(0).NS + "\nDIR=" + ix.dir + "\n" + strings.Join(ix.env, "\n") + "\n"
	os.WriteFile("/tmp/explore/env", []byte(env), 0o644)
	var out syncBuffer
	cmd := lab.Host(1).Command(context.Background(), bin, "send", "--profile", t.TempDir(), "--nick", "鳩", "--user", "hatouser", "--host", "hatohost",
		"--timeout", "600s", "--to", lab.Host(0).IP.String(), "--file", filepath.Join(src, "hfile.txt"), "--file", filepath.Join(src, "hfolder"))
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Start()
	defer cmd.Process.Kill()
	go func() { cmd.Wait(); os.WriteFile("/tmp/explore/sendexit", []byte(cmd.ProcessState.String()+"\n"+out.String()), 0o644) }()
	for i := 0; i < 1200; i++ {
		if _, err := os.Stat("/tmp/explore/stop"); err == nil {
			break
		}
		os.WriteFile("/tmp/explore/log", []byte(logSummary(ix.log.String())), 0o644)
		os.WriteFile("/tmp/explore/sendout", []byte(out.String()), 0o644)
		time.Sleep(500 * time.Millisecond)
	}
}
