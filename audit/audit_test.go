package audit

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/state"
)

// The chain verifies as written, and any edit, deletion or reordering of
// an entry is found.
func TestChainFindsTampering(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, a := range []string{"plan", "approve", "apply"} {
		if _, err := Record(ctx, st, cdcops.AuditEntry{Actor: "alice", Action: a, PlanID: "p1", Reason: "r", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := st.Audit(ctx)
	if err != nil || len(es) != 3 {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if p := Verify(es); len(p) != 0 {
		t.Fatalf("intact chain reported: %v", p)
	}
	cases := map[string]func([]cdcops.AuditEntry) []cdcops.AuditEntry{
		"edited": func(e []cdcops.AuditEntry) []cdcops.AuditEntry { e[1].Reason = "something else"; return e },
		"deleted": func(e []cdcops.AuditEntry) []cdcops.AuditEntry {
			return append(e[:1:1], e[2])
		},
		"reordered": func(e []cdcops.AuditEntry) []cdcops.AuditEntry { e[0], e[1] = e[1], e[0]; return e },
	}
	for name, tamper := range cases {
		got := Verify(tamper(append([]cdcops.AuditEntry(nil), es...)))
		if len(got) == 0 {
			t.Errorf("%s entry not found", name)
		}
		t.Logf("%s: %v", name, got)
	}
	if p := Verify(es); len(p) != 0 || !strings.HasPrefix(es[1].PrevHash, es[0].Hash[:8]) {
		t.Fatalf("the originals were changed by the checks: %v", p)
	}
}
