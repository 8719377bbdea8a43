package realstack

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is the account a database server runs as when we are root
// (postgres refuses to run as root; mariadbd needs to be told).
type serverUser struct {
	name     string
	uid, gid int
}

// lookupServerUser returns the account database servers run as when this
// process is root, and nil otherwise.
func lookupServerUser(name string) (*serverUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root needs the system user %q for the database server: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &serverUser{name: name, uid: uid, gid: gid}, nil
}

// prepareDataDir creates dir/sub owned by su (when set) and checks that su
// can reach it: every parent must be traversable by others (a t.TempDir()
// parent is 0700, so pass a dir made with os.MkdirTemp and chmod 0755).
func prepareDataDir(dir, sub string, su *serverUser) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data := filepath.Join(abs, sub)
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	if su == nil {
		return data, nil
	}
	if err := os.Chown(data, su.uid, su.gid); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return "", err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return "", fmt.Errorf("%s is not traversable by user %s (mode %v); chmod o+x it or use a dir under /tmp made with mode 0755", d, su.name, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return data, nil
		}
	}
}

// asUser makes cmd run as su (no-op when su is nil).
func asUser(cmd *exec.Cmd, su *serverUser) {
	if su == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(su.uid), Gid: uint32(su.gid)}}
}

// findBinary looks name up on PATH, then in the PostgreSQL install dirs.
func findBinary(name string, globs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, g := range globs {
		m, _ := filepath.Glob(filepath.Join(g, name))
		if len(m) > 0 {
			return m[len(m)-1], nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH", name)
}
