package ui

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"hato/messenger"
	"hato/protocol"
)

// settings are what the user chooses in the settings window. Who we are and how we reach the LAN
// (core) live in the profile, where the command line reads them too (messenger.Settings); the rest is
// the app's own and lives in fyne.Preferences. The Hato never reads preferences itself.
type settings struct {
	Nick, Group       string
	AbsencePresets    []string // the tray's absence menu; the first is the default text
	Port              string   // text as typed; validate checks it
	Bind              string   // "" binds every address
	Broadcasts        []string // extra presence destinations: IP[:PORT], CIDR or a.b.c.d-e
	Codepage          string   // cp932, gbk or utf-8, for peers without UTF-8
	DownloadDir       string
	Notifications     bool
	PopUp             bool // open each message in its window at once (IP Messenger's default); else on demand
	RequireEncryption bool
	FingerprintName   bool
	PasswordHash      string // SHA-256 hex of the password that opens locked messages; "" for none
	QuoteReply        bool   // Reply quotes the message
	Theme             string // "" follows the system, "light" or "dark"
	KeepDays          int    // history kept this many days; 0 keeps everything
	KeepNoLog         bool   // also keep messages whose sender asked for no log (NOLOGOPT), as WIN can
	Master            string // the member master's address (draft-14 §10), "" for none; kept in the profile
	BeMaster          bool   // be the site's member master; kept in the profile
	// profile is the profile's settings as loaded: what the window does not show (user and host names,
	// disk limits, the member master) is kept from it as it is.
	profile messenger.Settings
}

// Preference keys.
const (
	prefNick          = "nick"
	prefGroup         = "group"
	prefAbsence       = "absence_presets"
	prefPort          = "port"
	prefBind          = "bind"
	prefBroadcasts    = "broadcast_addrs"
	prefCodepage      = "codepage"
	prefDownloads     = "download_dir"
	prefNotifications = "notifications"
	prefPopUp         = "popup"
	// prefAutostartOffered: the first start asked whether to start at login (asked once).
	prefAutostartOffered = "autostart_offered"
	// How the host list was last sorted and grouped.
	prefSortColumn   = "hosts_sort_column"
	prefSortDesc     = "hosts_sort_desc"
	prefByGroup      = "hosts_by_group"
	prefColumnWidths = "hosts_column_widths" // the widths the user dragged the list's columns to
	prefRequireEnc   = "require_encryption"
	prefFingerprint  = "fingerprint_name"
	prefPassword     = "password_sha256"
	prefQuote        = "quote_reply"
	prefTheme        = "theme"
	prefKeepDays     = "history_keep_days"
	prefKeepNoLog    = "history_keep_nolog"
)

// defaultAbsence are the presets a first start offers, as IP Messenger does, in the user's language.
func defaultAbsence() []string {
	return []string{lang.L("I'm out of the office."), lang.L("In a meeting."), lang.L("At lunch.")}
}

func loadSettings(p fyne.Preferences) settings {
	return settings{
		Nick:              p.String(prefNick),
		Group:             p.String(prefGroup),
		AbsencePresets:    p.StringListWithFallback(prefAbsence, defaultAbsence()),
		Port:              p.StringWithFallback(prefPort, strconv.Itoa(protocol.DefaultPort)),
		Bind:              p.String(prefBind),
		Broadcasts:        p.StringList(prefBroadcasts),
		Codepage:          p.StringWithFallback(prefCodepage, "cp932"),
		DownloadDir:       p.StringWithFallback(prefDownloads, defaultDownloads()),
		Notifications:     p.BoolWithFallback(prefNotifications, true),
		PopUp:             p.BoolWithFallback(prefPopUp, true),
		RequireEncryption: p.Bool(prefRequireEnc),
		FingerprintName:   p.Bool(prefFingerprint),
		PasswordHash:      p.String(prefPassword),
		QuoteReply:        p.BoolWithFallback(prefQuote, true),
		Theme:             p.String(prefTheme),
		KeepDays:          p.Int(prefKeepDays),
		KeepNoLog:         p.Bool(prefKeepNoLog),
	}
}

func (s settings) save(p fyne.Preferences) {
	p.SetString(prefNick, s.Nick)
	p.SetString(prefGroup, s.Group)
	p.SetStringList(prefAbsence, s.AbsencePresets)
	p.SetString(prefPort, s.Port)
	p.SetString(prefBind, s.Bind)
	p.SetStringList(prefBroadcasts, s.Broadcasts)
	p.SetString(prefCodepage, s.Codepage)
	p.SetString(prefDownloads, s.DownloadDir)
	p.SetBool(prefNotifications, s.Notifications)
	p.SetBool(prefPopUp, s.PopUp)
	p.SetBool(prefRequireEnc, s.RequireEncryption)
	p.SetBool(prefFingerprint, s.FingerprintName)
	p.SetString(prefPassword, s.PasswordHash)
	p.SetBool(prefQuote, s.QuoteReply)
	p.SetString(prefTheme, s.Theme)
	p.SetInt(prefKeepDays, s.KeepDays)
	p.SetBool(prefKeepNoLog, s.KeepNoLog)
}

// uiField is the settings window's name of a messenger.Settings field.
func uiField(field string) string {
	switch field {
	case "broadcast_addrs":
		return "broadcasts"
	case "download_dir":
		return "downloads"
	case "use_master", "be_master":
		return "master"
	}
	return field
}

// settingError names the field a bad value came from, so that the settings window can show it there.
type settingError struct {
	Field string
	Err   error
}

func (e *settingError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *settingError) Unwrap() error { return e.Err }

// validate checks every field and returns the first problem as a *settingError.
func (s settings) validate() error {
	bad := func(field, format string, a ...any) error {
		return &settingError{Field: field, Err: fmt.Errorf(format, a...)}
	}
	port, err := strconv.Atoi(strings.TrimSpace(s.Port))
	if err != nil || port < 1 || port > 65535 {
		return bad("port", "%q is not a port number (1 to 65535)", s.Port)
	}
	// What the Hato runs with is checked where it is defined; the window names the fields its own way.
	if err := s.core().Validate(); err != nil {
		if se, ok := errors.AsType[*messenger.SettingError](err); ok {
			return &settingError{Field: uiField(se.Field), Err: se.Err}
		}
		return err
	}
	for _, p := range s.AbsencePresets {
		if strings.TrimSpace(p) == "" {
			return bad("absence", "an absence text is empty")
		}
	}
	if s.KeepDays < 0 {
		return bad("history", "%d days: keep a number of days, or 0 for all", s.KeepDays)
	}
	return nil
}

// core is the part of the settings the Hato runs with; call validate first.
func (s settings) core() messenger.Settings { return s.coreOver(s.profile) }

// coreOver is base with what the window sets: the rest of base (names given on the command line, the
// disk limits, the member master and its pinned key) stays.
func (s settings) coreOver(base messenger.Settings) messenger.Settings {
	port, _ := strconv.Atoi(strings.TrimSpace(s.Port))
	c := base
	c.Port, c.Bind, c.Nick, c.Group = port, strings.TrimSpace(s.Bind), s.Nick, s.Group
	c.Broadcasts, c.Codepage, c.RequireEncryption = s.Broadcasts, s.Codepage, s.RequireEncryption
	c.FingerprintName, c.DownloadDir, c.KeepNoLog = s.FingerprintName, s.DownloadDir, s.KeepNoLog
	c.UseMaster, c.BeMaster = strings.TrimSpace(s.Master), s.BeMaster
	return c
}

// withCore takes the profile's part of the settings from c (user and host names stay in the profile).
func (s settings) withCore(c messenger.Settings) settings {
	s.profile, s.Master, s.BeMaster = c, c.UseMaster, c.BeMaster
	s.Nick, s.Group, s.Bind, s.Broadcasts = c.Nick, c.Group, c.Bind, c.Broadcasts
	s.Port = strconv.Itoa(cmp.Or(c.Port, protocol.DefaultPort))
	s.Codepage = cmp.Or(c.Codepage, "cp932")
	s.RequireEncryption, s.FingerprintName, s.KeepNoLog = c.RequireEncryption, c.FingerprintName, c.KeepNoLog
	if c.DownloadDir != "" {
		s.DownloadDir = c.DownloadDir
	}
	return s
}

// loadProfileSettings reads the app's settings: the preferences, with the profile's part from the
// profile. A profile without settings yet (the first start of this version) takes them from the
// preferences, where earlier versions kept everything, and keeps them in the profile from now on.
func loadProfileSettings(p fyne.Preferences, profile string) (settings, error) {
	set := loadSettings(p)
	if !messenger.HasSettings(profile) {
		if err := set.validate(); err != nil {
			return set, err
		}
		return set, messenger.SaveSettings(profile, set.core())
	}
	c, err := messenger.LoadSettings(profile)
	if err != nil {
		return set, err
	}
	return set.withCore(c), nil
}

// hashPassword is how the password for locked messages is kept: never in clear text.
func hashPassword(pw string) string {
	if pw == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}

// checkPassword reports whether pw opens locked messages. Without a password set, locked messages open
// like any other (as in IP Messenger): the lock asks for the receiver's own password.
func (s settings) checkPassword(pw string) error {
	if s.PasswordHash != "" && hashPassword(pw) != s.PasswordHash {
		return errors.New("wrong password")
	}
	return nil
}

// defaultDownloads is ~/Downloads when there is one; otherwise nothing is chosen, and the first Save asks
// (files landing in the home folder unasked are hard to find, and clutter it).
func defaultDownloads() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if d := filepath.Join(home, "Downloads"); isDir(d) {
		return d
	}
	return ""
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
