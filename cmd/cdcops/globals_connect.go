package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// ConnectConfig is the `connect:` key: a URL, or a mapping with the URL and
// basic auth. The password is never written in the config itself.
type ConnectConfig struct {
	URL          string `yaml:"url"`
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password_file"`
}

// UnmarshalYAML accepts `connect: URL` and `connect: {url, user,
// password_file}`, as strictly as the rest of the file.
func (c *ConnectConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.URL = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: connect: want a URL or a mapping with url, user, password_file", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "url", "user", "password_file":
		case "password":
			return fmt.Errorf("line %d: connect.password does not belong in the config file: set CDCOPS_CONNECT_PASSWORD or connect.password_file", n.Content[i].Line)
		default:
			return fmt.Errorf("line %d: field %s not found in connect (keys: url, user, password_file)", n.Content[i].Line, k)
		}
	}
	type plain ConnectConfig
	return n.Decode((*plain)(c))
}

const connectAuthHint = "pass the user with --connect-user (connect.user) and the password in CDCOPS_CONNECT_PASSWORD or a file (--connect-password-file, connect.password_file)"

// loadConnectAuth checks --connect and resolves the basic-auth password:
// CDCOPS_CONNECT_PASSWORD, else the password file. A password typed into
// the --connect flag itself is refused: it would sit in ps output and
// shell history (from the environment or config it is accepted).
func (g *globals) loadConnectAuth() error {
	u, err := url.Parse(g.connectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cdcops.Errorf(cdcops.EINVALID, "set --connect http://HOST:PORT (or https://…)", "Kafka Connect URL %q is not an http(s) URL", connect.New(g.connectURL).URL())
	}
	if _, has := u.User.Password(); has && g.connectFromFlag {
		return cdcops.Errorf(cdcops.EINVALID, connectAuthHint, "--connect %s holds a password; credentials on the command line show in ps and shell history", connect.New(g.connectURL).URL())
	}
	g.connectPassword = g.getenv("CDCOPS_CONNECT_PASSWORD")
	if g.connectPassword == "" && g.connectPasswordFile != "" {
		b, err := os.ReadFile(g.connectPasswordFile)
		if err != nil {
			return cdcops.Errorf(cdcops.EINVALID, "check --connect-password-file / connect.password_file", "Kafka Connect password file: %w", err)
		}
		g.connectPassword = strings.TrimRight(string(b), "\r\n")
	}
	if g.connectPassword != "" && g.connectUser == "" && u.User == nil {
		return cdcops.Errorf(cdcops.EINVALID, connectAuthHint, "a Kafka Connect password is set but no user")
	}
	return nil
}

// connectClient builds the REST client for --connect with its basic auth.
func (g *globals) connectClient() *connect.Client {
	opts := []connect.Option{connect.WithLogger(g.log)}
	if g.connectUser != "" {
		opts = append(opts, connect.WithBasicAuth(g.connectUser, g.connectPassword))
	}
	return connect.New(g.connectURL, opts...)
}
