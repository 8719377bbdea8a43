package main

import (
	"context"
	"os"
	"time"

	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/monitor"
	"github.com/cdcops/cdcops/sqlconn"
	"github.com/cdcops/cdcops/state"
)

// journalOffsets gives monitoring the offsets journal as its staleness
// source when a journal is running against --state (its last mark is
// recent), so each cycle reads the store instead of the whole offsets
// topic. Without one it returns nil: the monitor reads the topic.
func (g *globals) journalOffsets(ctx context.Context) (monitor.OffsetLog, func()) {
	if eng, err := sqlconn.EngineOf(g.stateURL); err == nil && eng == sqlconn.SQLite {
		if _, err := os.Stat(sqlconn.SQLitePath(g.stateURL)); err != nil {
			return nil, func() {}
		}
	}
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return nil, func() {}
	}
	if !journal.Live(ctx, st, time.Now(), 30*time.Second) {
		st.Close()
		return nil, func() {}
	}
	g.log.Info("offset staleness from the running offsets journal", "state", st.Name())
	return journal.OffsetLog{Store: st}, func() { st.Close() }
}
