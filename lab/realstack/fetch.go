package realstack

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// The poms pin every version; fetch.sh resolves them. Both are embedded so
// a built binary fetches the same way as scripts/realstack.sh in a checkout.
//
//go:embed fetch.sh maven/*/pom.xml
var fetchFiles embed.FS

// Components of the cache. Worker classpaths sit at the top of the cache,
// plugins under PluginDir, one directory each (a Connect plugin.path).
const (
	Kafka44   = "kafka-4.4.0"   // broker and Connect 4.4.0 worker classpath
	Connect39 = "connect-3.9.1" // Connect 3.9.1 worker classpath

	DebeziumPostgres = "debezium-connector-postgres" // 3.6.1.Final
	DebeziumMySQL    = "debezium-connector-mysql"    // 3.6.1.Final
	DebeziumMariaDB  = "debezium-connector-mariadb"  // 3.5.0.Final
	DebeziumJDBC     = "debezium-connector-jdbc"     // 3.5.0.Final (sink)
)

// FetchHint is the command that fills the cache.
const FetchHint = "run `scripts/realstack.sh fetch` (or `make realstack`; needs java and mvn)"

// Cache is the directory the jars are fetched into.
type Cache string

// DefaultCache is $XDG_CACHE_HOME/cdcops/realstack (~/.cache/... by default),
// the place fetch.sh uses when CDCOPS_REALSTACK_CACHE is not set.
func DefaultCache() (Cache, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("realstack cache: %w", err)
	}
	return Cache(filepath.Join(d, "cdcops", "realstack")), nil
}

// PluginDir is the Connect plugin.path: one directory per plugin.
func (c Cache) PluginDir() string { return filepath.Join(string(c), "plugins") }

// Dir is where component name lives in the cache.
func (c Cache) Dir(name string) string {
	if strings.HasPrefix(name, "debezium-") {
		return filepath.Join(c.PluginDir(), name)
	}
	return filepath.Join(string(c), name)
}

// Classpath is the java -cp value for a worker classpath component.
func (c Cache) Classpath(name string) string { return filepath.Join(c.Dir(name), "*") }

// Missing lists the components (of names, or of all) not fetched, or
// fetched from another pom (fetch.sh writes the pom's sha256 into a
// .fetched marker when done).
func (c Cache) Missing(names ...string) []string {
	if len(names) == 0 {
		names = components()
	}
	var out []string
	for _, name := range names {
		pom, _ := fetchFiles.ReadFile(path.Join("maven", name, "pom.xml"))
		sum := sha256.Sum256(pom)
		got, err := os.ReadFile(filepath.Join(c.Dir(name), ".fetched"))
		if err != nil || strings.TrimSpace(string(got)) != hex.EncodeToString(sum[:]) {
			out = append(out, name)
		}
	}
	return out
}

func components() []string {
	ents, _ := fs.ReadDir(fetchFiles, "maven")
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// Tools reports the first of java, mvn that is not on PATH ("" if both are).
func Tools() string {
	for _, t := range []string{"java", "mvn"} {
		if _, err := exec.LookPath(t); err != nil {
			return t
		}
	}
	return ""
}

// Fetch fills the cache with what is missing of names (default: every
// component) by running the embedded fetch.sh (Maven, once per machine;
// offline when nothing is missing). Progress lines go to progress.
func (c Cache) Fetch(ctx context.Context, progress io.Writer, names ...string) error {
	if len(c.Missing(names...)) == 0 {
		return nil
	}
	if t := Tools(); t != "" {
		return fmt.Errorf("realstack fetch: %s not found on PATH (install java 17 and maven)", t)
	}
	tmp, err := os.MkdirTemp("", "cdcops-fetch-")
	if err != nil {
		return fmt.Errorf("realstack fetch: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.CopyFS(tmp, fetchFiles); err != nil {
		return fmt.Errorf("realstack fetch: %w", err)
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(tmp, "fetch.sh"), "fetch"}, names...)...)
	cmd.Env = append(os.Environ(),
		"CDCOPS_REALSTACK_CACHE="+string(c),
		"CDCOPS_REALSTACK_POMS="+filepath.Join(tmp, "maven"))
	cmd.Stdout, cmd.Stderr = progress, progress
	// Cancelling ends the whole group: the mvn JVMs, not just bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("realstack fetch into %s: %w (see the lines above)", c, err)
	}
	if m := c.Missing(names...); len(m) > 0 {
		return fmt.Errorf("realstack fetch: still missing %v in %s", m, c)
	}
	return nil
}
