package main

import (
	"encoding/json"
	"io"
	"os"
	"text/tabwriter"
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

// stderrIsTerminal decides whether progress is drawn: only for a person.
func (g *globals) stderrIsTerminal() bool {
	f, ok := g.stderr.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
