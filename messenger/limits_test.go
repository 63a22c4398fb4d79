package messenger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hato/internal/netlab"
	"hato/protocol"
	"hato/transfer"
)

// The disk limits in the settings reach the fetches: a folder with more files than max_folder_files
// stops, naming the limit, and keeps what came before it; keep_free_mib larger than the disk refuses a
// file before it is asked for; set back to the defaults (live, without a restart), both arrive.
func TestSettingsDiskLimits(t *testing.T) {
	port := netlab.FreePort(t)
	tx := start(t, t.TempDir(), "127.0.0.2", port, "tx", "127.0.0.3")
	rx := start(t, t.TempDir(), "127.0.0.3", port, "rx", "127.0.0.2")
	rx.wait(t, "tx in rx's list", func(ev Event) bool { return ev.Kind == protocol.EventHostJoined })
	to := tx.wait(t, "rx in tx's list", func(ev Event) bool { return ev.Kind == protocol.EventHostJoined }).Host

	src := t.TempDir()
	folder := filepath.Join(src, "folder")
	os.Mkdir(folder, 0o755)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if err := os.WriteFile(filepath.Join(folder, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(src, "file.bin")
	writeRandom(t, file, 1<<20)
	sources, err := transfer.Sources([]string{folder, file})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Send(context.Background(), Outgoing{To: []protocol.Host{to}, Text: "limits", Sources: sources}); err != nil {
		t.Fatal(err)
	}
	msg := rx.wait(t, "the offer", func(ev Event) bool { return ev.Kind == protocol.EventMessage })
	if len(msg.Files) != 2 {
		t.Fatalf("offer parsed as %+v (%v)", msg.Files, msg.FilesErr)
	}

	set := rx.Settings()
	set.MaxFolderFiles = 3 // the folder and two of its five files
	if err := rx.Apply(set); err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	_, err = rx.Fetch(context.Background(), msg.Message, msg.Files[0], dl)
	if !errors.Is(err, transfer.ErrStopped) || !strings.Contains(err.Error(), "more than 3 files and folders") {
		t.Errorf("folder past max_folder_files: %v, want stopped by the limit", err)
	}
	if _, err := os.Stat(filepath.Join(dl, "folder", "b")); err != nil {
		t.Errorf("the files before the limit: %v", err)
	}
	set.KeepFreeMiB = 1 << 30 // 1 PiB kept free
	if err := rx.Apply(set); err != nil {
		t.Fatal(err)
	}
	_, err = rx.Fetch(context.Background(), msg.Message, msg.Files[1], dl)
	if !errors.Is(err, transfer.ErrStopped) || !strings.Contains(err.Error(), "less than 1 PiB would be left free") {
		t.Errorf("file with keep_free_mib larger than the disk: %v, want refused for the space kept", err)
	}
	if _, err := os.Stat(filepath.Join(dl, "file.bin")); err == nil {
		t.Errorf("file.bin saved although refused")
	}

	set.MaxFolderFiles, set.KeepFreeMiB = 0, 0
	if err := rx.Apply(set); err != nil {
		t.Fatal(err)
	}
	dl = t.TempDir()
	if _, err := rx.Fetch(context.Background(), msg.Message, msg.Files[0], dl); err != nil {
		t.Errorf("folder with the default limits: %v", err)
	}
	if _, err := rx.Fetch(context.Background(), msg.Message, msg.Files[1], dl); err != nil {
		t.Errorf("file with the default limits: %v", err)
	}
	for _, name := range []string{"folder/e", "file.bin"} {
		if _, err := os.Stat(filepath.Join(dl, name)); err != nil {
			t.Errorf("with the default limits: %v", err)
		}
	}
}

// Limits that make no sense are refused, naming the setting.
func TestSettingsDiskLimitsValidate(t *testing.T) {
	for _, s := range []Settings{{MaxFolderFiles: -1}, {KeepFreeMiB: -2}} {
		var se *SettingError
		if err := s.Validate(); !errors.As(err, &se) {
			t.Errorf("%+v: %v, want a SettingError", s, err)
		}
	}
}
