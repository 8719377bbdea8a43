package main

import (
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/state"
)

// planSource tells the journal which cdcops plan was writing a
// connector's offsets; nil until plans record their apply windows.
func planSource(_ *state.Store) journal.PlanSource { return nil }
