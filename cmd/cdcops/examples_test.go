package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command a person can type has an Example, and `--help` shows it
// (DESIGN.md house style; issue 2 acceptance). Cobra's own generated
// commands (help, completion) are not ours to document.
func TestEveryCommandHasExample(t *testing.T) {
	g := &globals{}
	root := newRootCmd(g)
	var walk func(c *cobra.Command)
	count := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		count++
		path := c.CommandPath()
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Example", path)
		} else if !strings.Contains(c.Example, "cdcops") {
			t.Errorf("%q Example does not show a cdcops command line: %q", path, c.Example)
		}
		args := append(strings.Fields(path)[1:], "--help")
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Errorf("cdcops %s: exit %d, stderr %s", strings.Join(args, " "), code, errOut.String())
		}
		if !strings.Contains(out.String(), "Examples:") {
			t.Errorf("cdcops %s shows no Examples: section:\n%s", strings.Join(args, " "), out.String())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if count < 9 { // root, version, connectors + 7 children at least
		t.Fatalf("walked only %d commands; the tree is not wired", count)
	}
}
