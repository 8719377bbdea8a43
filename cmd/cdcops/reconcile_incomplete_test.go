package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/reconcile"
)

// A run that stops after writing some differences (Ctrl-C, --timeout, a
// failure) ends its diff file with a line saying so; a finished run does
// not, and a run that wrote nothing leaves no file.
func TestDiffFileOfAnUnfinishedRunIsMarkedIncomplete(t *testing.T) {
	v := "a"
	diff := reconcile.Difference{Key: map[string]string{"id": "1"}, Kind: "missing", Source: map[string]reconcile.Value{"id": &v}}
	for _, tc := range []struct {
		name, file string
		runErr     error
		last       string // "" = no marker
	}{
		{"jsonl interrupted", "d.jsonl", fmt.Errorf("reconcile: %w", context.Canceled), `{"incomplete":true,"reason":"interrupted"}`},
		{"jsonl timed out", "d.jsonl", context.DeadlineExceeded, `{"incomplete":true,"reason":"timed out"}`},
		{"csv failed", "d.csv", errors.New("source: connection reset"), `incomplete,failed: source: connection reset`},
		{"jsonl finished", "d.jsonl", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			d, err := newDiffWriter(path)
			if err != nil {
				t.Fatal(err)
			}
			d.write(diff)
			if err := d.close(tc.runErr); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			last := lines[len(lines)-1]
			switch {
			case tc.last == "" && strings.Contains(string(data), "incomplete"):
				t.Errorf("finished run marked incomplete:\n%s", data)
			case tc.last != "" && last != tc.last:
				t.Errorf("last line %q, want %q", last, tc.last)
			case tc.last != "" && len(lines) < 2:
				t.Errorf("the difference itself is gone:\n%s", data)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "none.jsonl")
	d, _ := newDiffWriter(path)
	if err := d.close(context.Canceled); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a run that wrote nothing left a diff file: %v", err)
	}
}
