package reconcile

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestDebugSQL(t *testing.T) {
	if os.Getenv("DEBUGSQL") == "" {
		t.Skip()
	}
	e := &engine{spec: &Spec{Source: "postgres://postgres@127.0.0.1:5432/cdcops_bench?sslmode=disable", Sink: "mysql://root@127.0.0.1:3306/cdcops_bench", Table: "src_1000000", SinkTable: "same_1000000"}}
	ctx := context.Background()
	for i, dsn := range []string{e.spec.Source, e.spec.Sink} {
		s, err := openSide(ctx, []string{"source", "sink"}[i], dsn)
		if err != nil {
			t.Skip(err)
		}
		s.begin(ctx)
		s.describe(ctx, []string{"src_1000000", "same_1000000"}[i])
		if i == 0 {
			e.src = s
		} else {
			e.dst = s
		}
	}
	p, _ := makePlan(e.spec, e.src.table, e.dst.table)
	e.src.setPlan(p, "")
	e.dst.setPlan(p, "")
	for _, s := range []*side{e.src, e.dst} {
		fmt.Println(s.d.Boundaries(s.keyCan, s.keyOrd, s.from, "", 1000))
		expr, _ := s.d.BucketExpr(s.keyOrd[0], []int64{1000, 2000, 3000})
		fmt.Println(s.d.GroupChecksum(expr, s.row, s.from, ""))
	}
}
