package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"hato/protocol"
	"hato/protocol/wire"
)

// settings are the common options; a profile keeps them in settings.json.
type settings struct {
	Port       int      `json:"port,omitempty"`
	Bind       string   `json:"bind,omitempty"`
	Nick       string   `json:"nick,omitempty"`
	Group      string   `json:"group,omitempty"`
	User       string   `json:"user,omitempty"`
	Host       string   `json:"host,omitempty"`
	Broadcasts []string `json:"broadcast_addrs,omitempty"`
	Codepage   string   `json:"codepage,omitempty"`
	// RequireEncryption: never send a message in the clear. FingerprintName: "user-<fp>" as user name.
	RequireEncryption bool `json:"require_encryption,omitempty"`
	FingerprintName   bool `json:"fingerprint_name,omitempty"`
}

// common registers the common flags on fs; call load after fs.Parse.
type common struct {
	flags   settings
	profile string
	verbose bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.IntVar(&c.flags.Port, "port", protocol.DefaultPort, "UDP and TCP port")
	fs.StringVar(&c.flags.Bind, "bind", "", "local IPv4 address to bind")
	fs.StringVar(&c.flags.Nick, "nick", "", "nickname")
	fs.StringVar(&c.flags.Group, "group", "", "group name")
	fs.StringVar(&c.flags.User, "user", "", "login name in packets")
	fs.StringVar(&c.flags.Host, "host", "", "host name in packets")
	fs.Func("broadcast-addr", "extra presence destination: IP[:PORT], CIDR or a.b.c.d-e (repeatable)", func(s string) error {
		if _, err := protocol.ParseDestination(s, protocol.DefaultPort); err != nil {
			return err
		}
		c.flags.Broadcasts = append(c.flags.Broadcasts, s)
		return nil
	})
	fs.StringVar(&c.flags.Codepage, "codepage", "cp932", "charset for peers without UTF-8: cp932, gbk or utf-8")
	fs.BoolVar(&c.flags.RequireEncryption, "require-encryption", false,
		"never send unencrypted: fail for peers without encryption instead")
	fs.BoolVar(&c.flags.FingerprintName, "fingerprint-name", false,
		"append the key's fingerprint to the user name (user-<16 hex>) so that nobody can use it; needs --profile")
	fs.StringVar(&c.profile, "profile", "", "directory that keeps this instance's settings and keys")
	fs.BoolVar(&c.verbose, "verbose", false, "log protocol details to stderr")
}

// config merges the profile's saved settings with the flags given (flags win), saves the result back to
// the profile, and builds the node's Config.
func (c *common) config(fs *flag.FlagSet, stderr io.Writer) (protocol.Config, error) {
	s := c.flags
	if c.profile != "" {
		saved, err := loadSettings(c.profile)
		if err != nil {
			return protocol.Config{}, err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		s = merge(saved, c.flags, set)
		if err := saveSettings(c.profile, s); err != nil {
			return protocol.Config{}, err
		}
	}
	cfg := protocol.DefaultConfig()
	cs, err := wire.ParseCodepage(s.Codepage)
	if err != nil {
		return cfg, fmt.Errorf("--codepage: %w", err)
	}
	if s.Port < 0 || s.Port > 65535 {
		return cfg, fmt.Errorf("--port %d: must be 1..65535", s.Port)
	}
	cfg.Port, cfg.BindAddr, cfg.Codepage, cfg.Destinations = s.Port, s.Bind, cs, s.Broadcasts
	cfg.Nick, cfg.Group = s.Nick, s.Group
	cfg.RequireEncryption, cfg.FingerprintName = s.RequireEncryption, s.FingerprintName
	if cfg.FingerprintName && c.profile == "" {
		return cfg, errors.New("--fingerprint-name needs --profile: the name must stay the same across starts")
	}
	if s.User != "" {
		cfg.User = s.User
	}
	if s.Host != "" {
		cfg.Host = s.Host
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return cfg, nil
}

// merge takes each setting from the flags when that flag was given, else from the profile.
func merge(saved, flags settings, set map[string]bool) settings {
	out := flags
	pick := func(name string, dst *string, savedVal string) {
		if !set[name] && savedVal != "" {
			*dst = savedVal
		}
	}
	if !set["port"] && saved.Port != 0 {
		out.Port = saved.Port
	}
	pick("bind", &out.Bind, saved.Bind)
	pick("nick", &out.Nick, saved.Nick)
	pick("group", &out.Group, saved.Group)
	pick("user", &out.User, saved.User)
	pick("host", &out.Host, saved.Host)
	pick("codepage", &out.Codepage, saved.Codepage)
	if !set["require-encryption"] {
		out.RequireEncryption = saved.RequireEncryption
	}
	if !set["fingerprint-name"] {
		out.FingerprintName = saved.FingerprintName
	}
	if !set["broadcast-addr"] {
		out.Broadcasts = saved.Broadcasts
	}
	return out
}

func loadSettings(dir string) (settings, error) {
	var s settings
	b, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("profile: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("profile %s: %w", filepath.Join(dir, "settings.json"), err)
	}
	return s, nil
}

func saveSettings(dir string, s settings) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := filepath.Join(dir, "settings.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "settings.json")); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}

// listen binds the node; with fallback, a taken port is replaced by a free one (fine for a short-lived
// sender: peers answer to the port a packet came from).
func listen(cfg protocol.Config, fallback bool) (*protocol.Node, error) {
	n, err := protocol.Listen(cfg)
	if err != nil && fallback && cfg.Port != 0 && addrInUse(err) {
		cfg.PeerPort, cfg.Port = cfg.Port, 0
		return protocol.Listen(cfg)
	}
	return n, err
}

func addrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") ||
		strings.Contains(err.Error(), "Only one usage of each socket address")
}

// newFlags makes a subcommand's flag set with the common flags registered.
func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("hato "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{}
	c.register(fs)
	return fs, c
}

// parse parses args and builds the node's Config; ok is false when the command should exit with code
// (0 after --help, 2 for bad usage, reported on stderr).
func (c *common) parse(fs *flag.FlagSet, args []string, stderr io.Writer) (cfg protocol.Config, code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, 0, false
		}
		return cfg, 2, false
	}
	cfg, err := c.config(fs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return cfg, 2, false
	}
	return cfg, 0, true
}

// runInBackground runs node until the returned stop is called; stop waits for Run to end (goodbye sent).
func runInBackground(node *protocol.Node) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(ctx, nil)
	}()
	return func() { cancel(); <-done }
}
