package messenger

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"hato/protocol"
	"hato/protocol/wire"
)

// Settings are what a user sets once and a profile keeps (settings.json): who we are on the LAN and how
// the node reaches it. Absence is not among them: it is a state, set on the running Hato.
type Settings struct {
	Port       int      `json:"port,omitempty"` // UDP and TCP; 0 means 2425
	Bind       string   `json:"bind,omitempty"` // local IPv4 address; "" binds all
	Nick       string   `json:"nick,omitempty"`
	Group      string   `json:"group,omitempty"`
	User       string   `json:"user,omitempty"` // login name in packets; "" is this machine's
	Host       string   `json:"host,omitempty"` // host name in packets; "" is this machine's
	Broadcasts []string `json:"broadcast_addrs,omitempty"`
	Codepage   string   `json:"codepage,omitempty"` // for peers without UTF-8: cp932 (""), gbk or utf-8
	// RequireEncryption: never send a message in the clear. FingerprintName: "user-<fp>" as user name.
	RequireEncryption bool   `json:"require_encryption,omitempty"`
	FingerprintName   bool   `json:"fingerprint_name,omitempty"`
	DownloadDir       string `json:"download_dir,omitempty"` // where fetched files go; "" is the current folder
	KeepNoLog         bool   `json:"keep_nolog,omitempty"`   // keep NOLOGOPT messages in the history too
	// Limits on what one fetch may write (transfer.Fetcher): the most files and folders one folder may
	// bring (0: 100,000) and the space a fetch leaves free on the disk, in MiB (0: 5% of the disk, at most
	// 1 GiB; -1: none).
	MaxFolderFiles int   `json:"max_folder_files,omitempty"`
	KeepFreeMiB    int64 `json:"keep_free_mib,omitempty"`
	// UseMaster is the member master ("a.b.c.d[:port]", draft-14 §10) whose signed site-wide host list
	// we take; "" is none. MasterKey is the fingerprint of its key, kept from the first list it signed
	// (or set by hand); a list signed by any other key is refused.
	UseMaster string `json:"use_master,omitempty"`
	MasterKey string `json:"master_key,omitempty"`
	// BeMaster makes this Hato the site's member master (protocol.Config.BeMaster): members elsewhere
	// poll it and get everyone's list, signed with the profile's key.
	BeMaster bool `json:"be_master,omitempty"`
}

// keepFree is KeepFreeMiB as transfer.Fetcher.KeepFree takes it.
func (s Settings) keepFree() int64 {
	if s.KeepFreeMiB < 0 {
		return -1
	}
	return s.KeepFreeMiB << 20
}

// SettingError names the setting a bad value came from, so that a settings window can show it there.
type SettingError struct {
	Field string // the JSON name: "port", "bind", ...
	Err   error
}

func (e *SettingError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

// Validate checks every field and returns the first problem as a *SettingError.
func (s Settings) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &SettingError{Field: field, Err: fmt.Errorf(format, a...)}
	}
	if s.Port < 0 || s.Port > 65535 {
		return bad("port", "%d is not a port number (1 to 65535)", s.Port)
	}
	if b := strings.TrimSpace(s.Bind); b != "" {
		if a, err := netip.ParseAddr(b); err != nil || !a.Is4() {
			return bad("bind", "%q is not an IPv4 address", s.Bind)
		}
	}
	for _, d := range s.Broadcasts {
		if _, err := protocol.ParseDestination(d, s.port()); err != nil {
			return bad("broadcast_addrs", "%v", err)
		}
	}
	if _, err := s.codepage(); err != nil {
		return bad("codepage", "%v", err)
	}
	for _, f := range []struct{ name, v string }{{"nick", s.Nick}, {"group", s.Group}, {"user", s.User}, {"host", s.Host}} {
		if strings.ContainsAny(f.v, ":\x00\a") {
			return bad(f.name, "%q: ':' and control characters are not allowed", f.v)
		}
	}
	if s.UseMaster != "" {
		if _, err := protocol.ParseMasterAddr(s.UseMaster); err != nil {
			return bad("use_master", "%v", err)
		}
	}
	if s.BeMaster && s.UseMaster != "" {
		return bad("be_master", "the member master cannot be a member of another master (%s): clear one of them", s.UseMaster)
	}
	if k := s.MasterKey; k != "" && (len(k) != 16 || strings.Trim(strings.ToLower(k), "0123456789abcdef") != "") {
		return bad("master_key", "%q is not a key fingerprint (16 hex digits)", k)
	}
	if s.MaxFolderFiles < 0 {
		return bad("max_folder_files", "%d: give a number of files, or 0 for the default (100,000)", s.MaxFolderFiles)
	}
	if s.KeepFreeMiB < -1 || s.KeepFreeMiB > 1<<30 {
		return bad("keep_free_mib", "%d: give MiB to keep free, 0 for the default, or -1 for none", s.KeepFreeMiB)
	}
	if s.DownloadDir != "" {
		if fi, err := os.Stat(s.DownloadDir); err != nil || !fi.IsDir() {
			return bad("download_dir", "%q is not a folder", s.DownloadDir)
		}
	}
	return nil
}

func (s Settings) port() int {
	if s.Port == 0 {
		return protocol.DefaultPort
	}
	return s.Port
}

func (s Settings) codepage() (wire.Codepage, error) {
	if s.Codepage == "" {
		return wire.CP932, nil
	}
	return wire.ParseCodepage(s.Codepage)
}

// apply copies the settings into a node configuration.
func (s Settings) apply(cfg *protocol.Config) error {
	if err := s.Validate(); err != nil {
		return err
	}
	cs, _ := s.codepage()
	cfg.Port, cfg.BindAddr, cfg.Codepage = s.port(), strings.TrimSpace(s.Bind), cs
	cfg.Destinations = slices.Clone(s.Broadcasts)
	cfg.Nick, cfg.Group = s.Nick, s.Group
	if s.User != "" {
		cfg.User = s.User
	}
	if s.Host != "" {
		cfg.Host = s.Host
	}
	cfg.RequireEncryption, cfg.FingerprintName = s.RequireEncryption, s.FingerprintName
	cfg.RecordNoLog = s.KeepNoLog
	cfg.Master, cfg.MasterKey, cfg.BeMaster = netip.AddrPort{}, "", s.BeMaster
	if s.UseMaster != "" {
		cfg.Master, _ = protocol.ParseMasterAddr(s.UseMaster)
		cfg.MasterKey = strings.ToLower(s.MasterKey)
	}
	return nil
}

// needsRestart reports whether going from s to t changes what only a new node can pick up: the sockets,
// the charset, the names in every header, the encryption and history policies. Nick, group and the
// download folder change live.
func (s Settings) needsRestart(t Settings) bool {
	return s.port() != t.port() || s.Bind != t.Bind || !slices.Equal(s.Broadcasts, t.Broadcasts) ||
		s.Codepage != t.Codepage || s.User != t.User || s.Host != t.Host ||
		s.FingerprintName != t.FingerprintName || s.RequireEncryption != t.RequireEncryption || s.KeepNoLog != t.KeepNoLog ||
		s.UseMaster != t.UseMaster || !strings.EqualFold(s.MasterKey, t.MasterKey) || s.BeMaster != t.BeMaster
}

// errNoMasterProfile: members pin the master's key, so the keys must be kept.
var errNoMasterProfile = errors.New("the member master needs a profile: members pin its key, which must stay the same across starts")

// errNoFingerprintProfile: a fingerprinted name must stay the same across starts, so the keys must be kept.
var errNoFingerprintProfile = errors.New("a fingerprinted user name needs a profile: the name must stay the same across starts")
