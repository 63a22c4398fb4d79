package messenger

import (
	"errors"
	"testing"

	"hato/internal/netlab"
	"hato/protocol"
)

// The member master's key fingerprint, pinned by the node on the first signed list, is kept in the
// profile; naming another master forgets it; bad values are refused naming the setting.
func TestMasterSettings(t *testing.T) {
	profile := t.TempDir()
	r := start(t, profile, "127.0.0.2", netlab.FreePort(t), "member")
	set := r.Settings()
	set.UseMaster = "127.0.0.9"
	if err := r.Apply(set); err != nil {
		t.Fatal(err)
	}
	if got := r.Node().Config().Master.String(); got != "127.0.0.9:2425" {
		t.Fatalf("the node's master: %q", got)
	}
	r.onNodeEvent(protocol.Event{Kind: protocol.EventMasterKey, Text: "0123456789abcdef"})
	if s, err := LoadSettings(profile); err != nil || s.MasterKey != "0123456789abcdef" || r.Settings().MasterKey != "0123456789abcdef" {
		t.Errorf("the pinned key not kept: %+v %v", s, err)
	}
	set = r.Settings()
	set.UseMaster = "127.0.0.10:2500"
	if err := r.Apply(set); err != nil {
		t.Fatal(err)
	}
	if s := r.Settings(); s.MasterKey != "" || r.Node().Config().MasterKey != "" {
		t.Errorf("another master kept the old key: %+v", s)
	}
	for _, bad := range []Settings{{UseMaster: "master.example"}, {UseMaster: "10.0.0.1", MasterKey: "xyz"}} {
		var se *SettingError
		if err := bad.Validate(); !errors.As(err, &se) {
			t.Errorf("%+v: %v, want a SettingError", bad, err)
		}
	}
}
