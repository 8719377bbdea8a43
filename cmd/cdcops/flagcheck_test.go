package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every numeric and duration flag of every command refuses a negative
// value with exit-2 usage error text that names the flag, and accepts its
// own default: the one range check covers flags added later too.
func TestEveryNumericFlagRefusesNegative(t *testing.T) {
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if _, numeric, _ := numericFlag(f); !numeric {
				return
			}
			bad := "-1"
			switch f.Value.Type() {
			case "duration":
				bad = "-1s"
			case "uint", "uint8", "uint16", "uint32", "uint64":
				return // negative values do not parse at all (pflag refuses them)
			}
			n++
			line := c.CommandPath() + " --" + f.Name + " " + bad
			root := newRootCmd(&globals{})
			cmd, rest, err := root.Find(append(strings.Fields(c.CommandPath())[1:], "--"+f.Name, bad))
			if err == nil {
				err = cmd.ParseFlags(rest)
			}
			if err == nil {
				err = checkFlags(cmd)
			}
			if err == nil || !strings.Contains(err.Error(), "--"+f.Name) {
				t.Errorf("%s: err = %v, want a refusal naming --%s", line, err, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&globals{}))
	if n < 15 {
		t.Fatalf("only %d numeric flags found", n)
	}
}
