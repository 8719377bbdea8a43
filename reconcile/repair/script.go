package repair

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// WriteScript writes batches as a SQL script the sink's own client runs:
// the session settings the literals rely on, then one transaction per
// batch.
func (f *Fix) WriteScript(w io.Writer, title string, batches []Batch) error {
	var b strings.Builder
	fmt.Fprintf(&b, "-- cdcops repair: %s\n-- table %s (%s), %d statements in %d transactions, written %s\n",
		title, f.SinkTable, f.Engine, countStmts(batches), len(batches), time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "-- run with: %s\n", clientHint(f.Engine))
	for _, s := range f.w.Session() {
		b.WriteString(s + ";\n")
	}
	for i, bt := range batches {
		fmt.Fprintf(&b, "\n-- batch %d of %d\n%s;\n", i+1, len(batches), f.w.Begin())
		for _, st := range bt.Stmts {
			b.WriteString(st.SQL + ";\n")
		}
		b.WriteString("COMMIT;\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func countStmts(bs []Batch) int {
	n := 0
	for _, b := range bs {
		n += len(b.Stmts)
	}
	return n
}

func clientHint(e sqlconn.Engine) string {
	switch e {
	case sqlconn.Postgres:
		return `psql "postgres://…" -v ON_ERROR_STOP=1 -f FILE`
	case sqlconn.MySQL:
		return "mariadb -h HOST -u USER -p DATABASE < FILE"
	}
	return "sqlite3 -bail PATH < FILE"
}
