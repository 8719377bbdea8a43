package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/monitor"
)

// globals holds the global flags, the loaded config and the process's
// streams. It is built once by Main; nothing below cmd reads the
// environment or the config file.
type globals struct {
	configFile string
	cluster    string
	connectURL string
	// connectUser and connectPasswordFile are Connect's basic auth; the
	// password itself comes from CDCOPS_CONNECT_PASSWORD or the file,
	// never from a flag (flags show in ps and shell history).
	connectUser         string
	connectPasswordFile string
	connectPassword     string
	connectFromFlag     bool // --connect was typed, not taken from env or config
	timeout             time.Duration
	bootstrap           string
	stateURL            string
	vaultURL            string
	output              string
	verbose             bool

	cfg    Config
	cmdCtx context.Context // the command's context under --timeout, if any
	cancel context.CancelFunc
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func (g *globals) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&g.configFile, "config", "", "config file (default ./cdcops.yaml if present)")
	fs.StringVar(&g.cluster, "cluster", "", "cluster entry of the config file to use")
	fs.StringVar(&g.connectURL, "connect", "", "Kafka Connect REST URL (default http://127.0.0.1:8083)")
	fs.StringVar(&g.connectUser, "connect-user", "", "Kafka Connect basic-auth user (password: CDCOPS_CONNECT_PASSWORD or --connect-password-file)")
	fs.StringVar(&g.connectPasswordFile, "connect-password-file", "", "file holding the Kafka Connect basic-auth password")
	fs.DurationVar(&g.timeout, "timeout", 0, "give up when the whole command takes longer (0 = no limit; commands with their own --timeout use theirs)")
	fs.StringVar(&g.bootstrap, "bootstrap", "", "Kafka bootstrap HOST:PORT (default 127.0.0.1:9092)")
	fs.StringVar(&g.stateURL, "state", "", "cdcops state store (default sqlite://./.cdcops/state.db)")
	fs.StringVar(&g.vaultURL, "vault", "", "snapshot vault URL (default file://./.cdcops/vault)")
	fs.StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	fs.BoolVarP(&g.verbose, "verbose", "v", false, "debug logging on stderr")
}

// Config is the strict shape of cdcops.yaml; unknown keys are an error.
type Config struct {
	Connect   ConnectConfig      `yaml:"connect"`
	Bootstrap string             `yaml:"bootstrap"`
	State     string             `yaml:"state"`
	Vault     VaultConfig        `yaml:"vault"`
	Clusters  map[string]Cluster `yaml:"clusters"`
	Monitor   monitor.Config     `yaml:"monitor"`
	Approvals ApprovalsConfig    `yaml:"approvals"`
}

// ApprovalsConfig is the approval rule for offset plans: required people
// in all, the author counting as one (2 = the two-person rule: one other
// person must approve, and nobody approves their own plan).
type ApprovalsConfig struct {
	Required int `yaml:"required"`
}

// Cluster names one Kafka + Connect pair; --cluster selects it.
type Cluster struct {
	Connect   ConnectConfig `yaml:"connect"`
	Bootstrap string        `yaml:"bootstrap"`
}

// VaultConfig says where snapshots go and how they are encrypted.
type VaultConfig struct {
	URL        string   `yaml:"url"`
	Recipients []string `yaml:"recipients"` // age public keys; empty = unencrypted
	Identity   string   `yaml:"identity"`   // age identity file to decrypt
}

// load resolves config file, environment (CDCOPS_<FLAG>) and flags, in
// increasing precedence, and sets up logging.
func (g *globals) load(cmd *cobra.Command) error {
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))

	var envErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		env := "CDCOPS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := g.getenv(env); v != "" && !f.Changed && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = usageError{fmt.Errorf("%s=%q: %w", env, v, err)}
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if f := cmd.Flags().Lookup("connect"); f != nil && f.Changed && f == cmd.Root().PersistentFlags().Lookup("connect") {
		g.connectFromFlag = true
	}
	if g.output != "table" && g.output != "json" {
		return usageError{fmt.Errorf("--output %q: use table or json", g.output)}
	}
	if err := g.readConfig(); err != nil {
		return err
	}
	return g.applyConfig()
}

func (g *globals) readConfig() error {
	path := g.configFile
	if path == "" {
		if _, err := os.Stat("cdcops.yaml"); err != nil {
			return nil
		}
		path = "cdcops.yaml"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cdcops.Errorf(cdcops.EINVALID, "check the --config path", "read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&g.cfg); err != nil && err != io.EOF {
		return cdcops.Errorf(cdcops.EINVALID, "see docs/config.md for the keys cdcops.yaml accepts", "config %s: %v", path, err)
	}
	return g.cfg.expandHome()
}

// expandHome resolves a leading ~/ in the config's file paths: no shell
// expands them in a YAML file, and an operator writes them that way.
func (c *Config) expandHome() error {
	for _, p := range []*string{&c.Vault.Identity, &c.Connect.PasswordFile} {
		if err := expandHome(p); err != nil {
			return err
		}
	}
	for name, cl := range c.Clusters {
		if err := expandHome(&cl.Connect.PasswordFile); err != nil {
			return err
		}
		c.Clusters[name] = cl
	}
	return nil
}

func expandHome(p *string) error {
	if !strings.HasPrefix(*p, "~/") {
		return nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return cdcops.Errorf(cdcops.EINVALID, "write the path in full, or set HOME", "config path %s: %v", *p, err)
	}
	*p = filepath.Join(home, (*p)[2:])
	return nil
}

// applyConfig fills every global left unset by flags and environment from
// the config (and the selected cluster), then from built-in defaults.
func (g *globals) applyConfig() error {
	cl := Cluster{Connect: g.cfg.Connect, Bootstrap: g.cfg.Bootstrap}
	if g.timeout < 0 {
		return usageError{fmt.Errorf("--timeout %s: must not be negative (0 = no limit)", g.timeout)}
	}
	if g.cluster != "" {
		c, ok := g.cfg.Clusters[g.cluster]
		if !ok {
			return cdcops.Errorf(cdcops.EINVALID, "add it under clusters: in the config file, or drop --cluster", "unknown cluster %q", g.cluster)
		}
		// A selected cluster never falls back to localhost: that would
		// point a command meant for prod at whatever runs on this machine.
		if c.Connect.URL == "" && g.connectURL == "" {
			return cdcops.Errorf(cdcops.EINVALID, "set clusters."+g.cluster+".connect in the config file (or pass --connect)", "cluster %q names no Kafka Connect URL", g.cluster)
		}
		if c.Bootstrap == "" && g.bootstrap == "" {
			return cdcops.Errorf(cdcops.EINVALID, "set clusters."+g.cluster+".bootstrap in the config file (or pass --bootstrap)", "cluster %q names no Kafka bootstrap servers", g.cluster)
		}
		cl = c
	}
	setDefault(&g.connectURL, cl.Connect.URL, "http://127.0.0.1:8083")
	setDefault(&g.connectUser, cl.Connect.User, "")
	setDefault(&g.connectPasswordFile, cl.Connect.PasswordFile, "")
	if err := g.loadConnectAuth(); err != nil {
		return err
	}
	setDefault(&g.bootstrap, cl.Bootstrap, "127.0.0.1:9092")
	setDefault(&g.stateURL, g.cfg.State, "sqlite://./.cdcops/state.db")
	setDefault(&g.vaultURL, g.cfg.Vault.URL, "file://./.cdcops/vault")
	return nil
}

func setDefault(v *string, fromConfig, builtin string) {
	if *v != "" {
		return
	}
	if fromConfig != "" {
		*v = fromConfig
		return
	}
	*v = builtin
}
