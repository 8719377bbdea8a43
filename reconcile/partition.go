package reconcile

import (
	"context"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// partitions adds the --partition-by summary: count and checksum per
// day/hour/month of a date or timestamp column on both sides.
func (e *engine) partitions(ctx context.Context) error {
	name, width, _ := e.spec.partition()
	sc, ok := e.src.table.Column(name)
	if !ok {
		return columnNotFound(name, "source", e.src.table)
	}
	dn := sc.Name
	for _, cp := range e.p.cols {
		if cp.Src.Name == sc.Name {
			dn = cp.Dst.Name
		}
	}
	dc, ok := e.dst.table.Column(dn)
	if !ok {
		return columnNotFound(dn, "sink", e.dst.table)
	}
	f := dialect.Format{Class: dialect.ClassTimestamp}
	var res [2]map[string]agg
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		col := sc
		if i == 1 {
			col = dc
		}
		g.Go(func() error {
			expr := "substr(" + s.d.Canon(col, f) + ", 1, " + itoa(width) + ")"
			m, err := s.groupChecksum(gctx, expr)
			res[i] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, m := range res {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		a, b := res[0][k], res[1][k]
		e.rep.Partitions = append(e.rep.Partitions, Partition{Partition: k, SourceRows: a.Count, SinkRows: b.Count, Equal: a == b})
	}
	sort.Slice(e.rep.Partitions, func(i, j int) bool { return e.rep.Partitions[i].Partition < e.rep.Partitions[j].Partition })
	return nil
}
