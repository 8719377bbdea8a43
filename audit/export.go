package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cdcops/cdcops"
)

// ExportResult says what an export wrote.
type ExportResult struct {
	Dir     string   `json:"dir"`
	Written []string `json:"written"`
	Commits int      `json:"commits"`
}

// ExportGit writes one JSON file per audit entry not yet in dir
// (changes/<seq>-<action>-<plan>.json) and commits each with git, the
// message naming who, what and why. dir is initialised as a repository
// when it is not one. Entries already exported are left alone.
func ExportGit(ctx context.Context, dir string, entries []cdcops.AuditEntry) (ExportResult, error) {
	res := ExportResult{Dir: dir, Written: []string{}}
	if _, err := exec.LookPath("git"); err != nil {
		return res, cdcops.Errorf(cdcops.EUNAVAILABLE, "install git", "audit export --git needs git: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "changes"), 0o755); err != nil {
		return res, cdcops.Errorf(cdcops.EINVALID, "check the --git directory", "create %s: %v", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		if err := git(ctx, dir, "init", "-q"); err != nil {
			return res, err
		}
	}
	for _, e := range entries {
		name := fmt.Sprintf("%06d-%s", e.Seq, e.Action)
		if e.PlanID != "" {
			name += "-" + e.PlanID
		}
		rel := filepath.Join("changes", name+".json")
		path := filepath.Join(dir, rel)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		b, _ := json.MarshalIndent(e, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return res, cdcops.Errorf(cdcops.EUNAVAILABLE, "check the --git directory is writable", "write %s: %v", path, err)
		}
		msg := fmt.Sprintf("%s %s by %s: %s", e.Action, e.PlanID, e.Actor, e.Result)
		if e.Reason != "" {
			msg += "\n\nReason: " + e.Reason
		}
		if e.Ticket != "" {
			msg += "\nTicket: " + e.Ticket
		}
		msg += "\nAudit-Hash: " + e.Hash
		if err := git(ctx, dir, "add", rel); err != nil {
			return res, err
		}
		if err := git(ctx, dir, "-c", "user.name=cdcops", "-c", "user.email=cdcops@localhost", "commit", "-q", "-m", msg); err != nil {
			return res, err
		}
		res.Written = append(res.Written, rel)
		res.Commits++
	}
	return res, nil
}

func git(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the --git directory is a usable repository",
			"git %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}
