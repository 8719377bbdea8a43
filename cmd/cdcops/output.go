package main

import (
	"encoding/json"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cdcops/cdcops"
)

// print writes a command's result: as indented JSON with -o json (a stable
// API), else through table, which writes aligned columns.
func (g *globals) print(v any, table func(w io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// jsonError is the one error object of docs/json.md.
type jsonError struct {
	Error struct {
		Code     cdcops.ErrorCode `json:"code"`
		Message  string           `json:"message"`
		Hint     string           `json:"hint"`
		ExitCode int              `json:"exit_code"`
	} `json:"error"`
}

// printJSONError writes a failed command's error to stdout under -o json,
// so a script reads one JSON document whatever happened.
func printJSONError(w io.Writer, code cdcops.ErrorCode, msg, hint string, exit int) {
	var e jsonError
	e.Error.Code, e.Error.Message, e.Error.Hint, e.Error.ExitCode = code, msg, hint, exit
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e)
}

// wantsJSON says whether the command line asked for -o json, also when
// flag parsing failed before the flag was read.
func wantsJSON(g *globals, args []string) bool {
	if g.output == "json" {
		return true
	}
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-ojson", a == "-o=json", a == "--output=json":
			return true
		case (a == "-o" || a == "--output") && i+1 < len(args) && args[i+1] == "json":
			return true
		}
	}
	return g.output == "" && g.getenv != nil && g.getenv("CDCOPS_OUTPUT") == "json"
}

// oneLine folds a multi-line message (YAML errors, cobra suggestions) into
// one line: an error is one line, a hint is one line.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
