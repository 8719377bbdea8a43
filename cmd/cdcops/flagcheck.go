package main

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
)

// One rule for every numeric and duration flag of every command: it must be
// 0 or more, unless flagRange gives it another range. checkFlags runs
// before any command does anything (root PersistentPreRunE, after the
// environment is applied), so a bad value never reaches a database, a
// worker or a file. Tests walk every command and try -1 on each such flag.

const rangeAnnotation = "cdcops_range" // "min,max"; max "" = no upper bound

// flagRange narrows the allowed range of a numeric flag (inclusive).
func flagRange(fs *pflag.FlagSet, name string, min float64, max string) {
	if err := fs.SetAnnotation(name, rangeAnnotation, []string{strconv.FormatFloat(min, 'g', -1, 64), max}); err != nil {
		panic(err) // a typo in a flag name: a programming error
	}
}

// numericFlag says whether f holds a number or a duration, and its value
// as a float (durations in nanoseconds).
func numericFlag(f *pflag.Flag) (float64, bool, error) {
	v := f.Value.String()
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		x, err := strconv.ParseFloat(v, 64)
		return x, true, err
	case "duration":
		d, err := time.ParseDuration(v)
		return float64(d), true, err
	}
	return 0, false, nil
}

// checkGlobals refuses global values that cannot work, before any
// command tries them: a --connect that is not an http(s) URL.
func checkGlobals(g *globals) error {
	u, err := url.Parse(g.connectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cdcops.Errorf(cdcops.EINVALID, "write --connect http://HOST:PORT (or https://…)", "--connect %q is not an http(s) URL", cdcops.RedactDSN(g.connectURL))
	}
	return nil
}

// checkFlags validates every numeric flag of cmd against its range.
func checkFlags(cmd *cobra.Command) error {
	var bad error
	check := func(f *pflag.Flag) {
		if bad != nil {
			return
		}
		x, numeric, err := numericFlag(f)
		if !numeric {
			return
		}
		lo, hi := 0.0, math.Inf(1)
		if r := f.Annotations[rangeAnnotation]; len(r) == 2 {
			lo, _ = strconv.ParseFloat(r[0], 64)
			if r[1] != "" {
				hi, _ = strconv.ParseFloat(r[1], 64)
			}
		}
		if err == nil && x >= lo && x <= hi {
			return
		}
		want := "0 or more"
		if lo != 0 || !math.IsInf(hi, 1) {
			want = fmt.Sprintf("%s to %s", fmtBound(f, lo), fmtBound(f, hi))
		}
		example := "--" + f.Name + " " + f.DefValue
		bad = cdcops.Errorf(cdcops.EINVALID, fmt.Sprintf("use a value of %s, e.g. %s (see %s --help)", want, example, cmd.CommandPath()),
			"--%s %s: must be %s", f.Name, f.Value.String(), want)
	}
	cmd.Flags().VisitAll(check)
	return bad
}

func fmtBound(f *pflag.Flag, x float64) string {
	if math.IsInf(x, 1) {
		return "any"
	}
	if f.Value.Type() == "duration" {
		return time.Duration(x).String()
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// unknownSubcommand makes a group command (one that only holds
// subcommands) refuse an unknown subcommand with exit 2 and "did you mean",
// instead of printing its help and exiting 0.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	} else {
		msg += "; its subcommands are " + strings.Join(subcommandNames(cmd), ", ")
	}
	return usageError{fmt.Errorf("%s", msg)}
}

func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}

// guardGroups gives every command that has subcommands and no Run of its
// own the unknownSubcommand behaviour.
func guardGroups(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		guardGroups(c)
	}
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = unknownSubcommand
	}
}
