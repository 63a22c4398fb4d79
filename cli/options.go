package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"hato/messenger"
	"hato/messenger/control"
	"hato/protocol"
)

// common registers the common flags on fs; call parse after.
type common struct {
	flags   messenger.Settings
	profile string // --profile as given; "" is the app's own profile
	verbose bool

	fs  *flag.FlagSet
	env *env
	set messenger.Settings // the profile's settings with the flags given on top
	dir string             // the profile folder in use
}

// env is where a command runs: in its own process, or inside a running Hato that took it from the
// control endpoint (then relative paths are the caller's, taken from cwd).
type env struct {
	args    []string        // the whole command line after "hato", to hand to a running Hato
	running *messenger.Hato // the Hato this command runs in; nil in its own process
	cwd     string
}

// path makes a path given on the command line absolute, against the caller's folder.
func (e *env) path(p string) string {
	if p == "" || filepath.IsAbs(p) || e.cwd == "" {
		return p
	}
	return filepath.Join(e.cwd, p)
}

// nodeFlags are the common flags that shape the node; a running Hato keeps its own.
var nodeFlags = []string{"port", "bind", "nick", "group", "user", "host", "broadcast-addr", "codepage",
	"require-encryption", "fingerprint-name", "use-master"}

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
		"append the key's fingerprint to the user name (user-<16 hex>) so that nobody can use it")
	fs.Func("use-master", "member master ADDR[:PORT] (port 2425): poll it and take the site-wide host list it signs",
		func(s string) error {
			a, err := protocol.ParseMasterAddr(s)
			if err != nil {
				return err
			}
			c.flags.UseMaster = a.String()
			return nil
		})
	fs.StringVar(&c.profile, "profile", "", "folder that keeps this Hato's settings, keys and history (default: the app's)")
	fs.BoolVar(&c.verbose, "verbose", false, "log protocol details to stderr")
}

// given lists the flags set on the command line.
func (c *common) given() map[string]bool {
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// settings merges the profile's saved settings with the flags given (flags win). An explicit
// --profile keeps them for next time; the app's own profile is never changed by a command's flags.
func (c *common) settings() error {
	dir := c.env.path(c.profile)
	if dir == "" {
		d, err := messenger.DefaultProfile()
		if err != nil {
			return err
		}
		dir = d
	}
	c.dir = dir
	saved, err := messenger.LoadSettings(dir)
	if err != nil {
		return err
	}
	c.set = merge(saved, c.flags, c.given())
	if c.set.Codepage == "" {
		c.set.Codepage = "cp932"
	}
	if err := c.set.Validate(); err != nil {
		var se *messenger.SettingError
		if errors.As(err, &se) {
			return fmt.Errorf("--%s: %w", flagName(se.Field), se.Err)
		}
		return err
	}
	if c.profile != "" && c.env.running == nil {
		return messenger.SaveSettings(dir, c.set)
	}
	return nil
}

// flagName is the flag behind a settings field.
func flagName(field string) string {
	if field == "broadcast_addrs" {
		return "broadcast-addr"
	}
	return strings.ReplaceAll(field, "_", "-")
}

// merge takes each setting from the flags when that flag was given, else from the profile.
func merge(saved, flags messenger.Settings, set map[string]bool) messenger.Settings {
	out := saved
	if set["port"] {
		out.Port = flags.Port
	}
	pick := func(name string, dst *string, v string) {
		if set[name] {
			*dst = v
		}
	}
	pick("bind", &out.Bind, flags.Bind)
	pick("nick", &out.Nick, flags.Nick)
	pick("group", &out.Group, flags.Group)
	pick("user", &out.User, flags.User)
	pick("host", &out.Host, flags.Host)
	pick("codepage", &out.Codepage, flags.Codepage)
	if set["use-master"] && flags.UseMaster != out.UseMaster {
		out.UseMaster, out.MasterKey = flags.UseMaster, "" // another master: its key is learnt anew
	}
	if set["require-encryption"] {
		out.RequireEncryption = flags.RequireEncryption
	}
	if set["fingerprint-name"] {
		out.FingerprintName = flags.FingerprintName
	}
	if set["broadcast-addr"] {
		out.Broadcasts = flags.Broadcasts
	}
	return out
}

func (c *common) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// sameMaster reports whether two member master settings name the same address ("a.b.c.d" is port 2425).
func sameMaster(a, b string) bool {
	pa, erra := protocol.ParseMasterAddr(a)
	pb, errb := protocol.ParseMasterAddr(b)
	if erra != nil || errb != nil {
		return a == b
	}
	return pa == pb
}

// newFlags makes a subcommand's flag set with the common flags registered.
func newFlags(name string, e *env, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("hato "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{fs: fs, env: e}
	c.register(fs)
	return fs, c
}

// parse parses args and the profile's settings; ok is false when the command should exit with code
// (0 after --help, 2 for bad usage, reported on stderr).
func (c *common) parse(args []string, stderr io.Writer) (code int, ok bool) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if err := c.settings(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.fs.Name(), err)
		return 2, false
	}
	return 0, true
}

// hato finds the Hato to work with. Inside a running one, that one (node flags that differ from its
// settings are refused). Otherwise, when a Hato runs for the profile, the whole command is handed to
// it and forwarded reports its exit code. Otherwise a Hato of our own is started; stop ends it (and
// says goodbye to the LAN).
func (c *common) hato(ctx context.Context, cfg messenger.Config, stdout, stderr io.Writer) (h *messenger.Hato, stop func(), code int, forwarded bool) {
	name := c.fs.Name()
	if c.env.running != nil {
		if f := c.differs(c.env.running.Settings()); f != "" {
			fmt.Fprintf(stderr, "%s: --%s: the running Hato of profile %s uses its own settings; change them there, or stop it first\n",
				name, f, c.dir)
			return nil, nil, 2, true
		}
		return c.env.running, func() {}, 0, false
	}
	for try := 0; ; try++ {
		if code, ok := c.forward(ctx, stdout, stderr); ok {
			return nil, nil, code, true
		}
		cfg.Profile, cfg.Settings, cfg.Logger = c.dir, c.set, c.logger(stderr)
		cfg.Settings.BeMaster = false // a short-lived command never speaks as the site's master
		cfg.Commands = Remote
		h, err := messenger.New(cfg)
		if err != nil && messenger.IsAddrInUse(err) {
			// Another program (another profile's Hato, another IP Messenger) has the port: a free one
			// will do for a short-lived command, peers answer to the port a packet came from.
			tune := cfg.Tune
			cfg.Tune = func(pc *protocol.Config) {
				if tune != nil {
					tune(pc)
				}
				pc.PeerPort, pc.Port = pc.Port, 0
			}
			h, err = messenger.New(cfg)
		}
		if errors.Is(err, messenger.ErrRunning) && try == 0 {
			continue // it started a moment ago: hand the command to it
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return nil, nil, 1, true
		}
		if c.verbose {
			fmt.Fprintf(stderr, "%s: no Hato runs for profile %s; running a node of our own at %s\n", name, c.dir, h.Addr())
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.Run(runCtx)
		}()
		<-h.Ready() // announced before anything of ours goes out
		return h, func() { cancel(); <-done }, 0, false
	}
}

// forward hands the command to the Hato running for the profile, if there is one.
func (c *common) forward(ctx context.Context, stdout, stderr io.Writer) (code int, ok bool) {
	cl, err := control.Dial(c.dir)
	if err != nil {
		if !errors.Is(err, control.ErrNotRunning) {
			fmt.Fprintf(stderr, "%s: %v\n", c.fs.Name(), err)
			return 1, true
		}
		return 0, false
	}
	if c.verbose {
		fmt.Fprintf(stderr, "%s: a Hato runs for profile %s: the command goes through it\n", c.fs.Name(), c.dir)
	}
	code, err = cl.Run(ctx, c.env.args, c.env.cwd, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: through the running Hato: %v\n", c.fs.Name(), err)
		return 1, true
	}
	return code, true
}

// differs names the first node flag given whose value is not the running Hato's.
func (c *common) differs(run messenger.Settings) string {
	given := c.given()
	for _, f := range nodeFlags {
		if !given[f] {
			continue
		}
		same := map[string]bool{
			"port": c.flags.Port == run.Port || (run.Port == 0 && c.flags.Port == protocol.DefaultPort),
			"bind": c.flags.Bind == run.Bind, "nick": c.flags.Nick == run.Nick, "group": c.flags.Group == run.Group,
			"user": c.flags.User == run.User, "host": c.flags.Host == run.Host,
			"broadcast-addr":     slices.Equal(c.flags.Broadcasts, run.Broadcasts),
			"codepage":           strings.EqualFold(c.flags.Codepage, run.Codepage) || (run.Codepage == "" && c.flags.Codepage == "cp932"),
			"require-encryption": c.flags.RequireEncryption == run.RequireEncryption,
			"fingerprint-name":   c.flags.FingerprintName == run.FingerprintName,
			"use-master":         sameMaster(c.flags.UseMaster, run.UseMaster),
		}[f]
		if !same {
			return f
		}
	}
	return ""
}
