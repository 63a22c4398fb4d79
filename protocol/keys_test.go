package protocol

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestKeysKeptInProfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	if _, err := LoadKeys(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty profile: %v, want ErrNotExist", err)
	}
	k, created, err := LoadOrCreateKeys(dir)
	if err != nil || !created {
		t.Fatalf("first start: %v (created %v)", err, created)
	}
	for _, name := range []string{keyFile2048, keyFile1024} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	again, created, err := LoadOrCreateKeys(dir)
	if err != nil || created || !again.RSA2048.Equal(k.RSA2048) || !again.RSA1024.Equal(k.RSA1024) {
		t.Fatalf("second start: %v (created %v), same keys %v", err, created, again != nil && again.RSA2048.Equal(k.RSA2048))
	}
	// A damaged key file is an error, never silently replaced (that would change our identity).
	os.WriteFile(filepath.Join(dir, keyFile2048), []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreateKeys(dir); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("damaged key: %v, want an error", err)
	}
	// Keys of the wrong size are refused.
	os.Rename(filepath.Join(dir, keyFile1024), filepath.Join(dir, keyFile2048))
	if _, err := LoadKeys(dir); err == nil {
		t.Error("a 1024-bit key in the 2048-bit file was accepted")
	}
}
