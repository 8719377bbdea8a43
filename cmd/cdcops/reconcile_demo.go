package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cdcops/cdcops/reconcile"
)

// reconcileDrift is the `lab demo` step after the pipeline fault: it runs
// the reconcile engine on the demo's source and sink and checks that it
// reports exactly the rows the fault dropped — no more, no fewer.
func (d *demoRun) reconcileDrift(ctx context.Context) error {
	if d.pipeline == nil || d.pipeline.Pipeline == nil {
		return errors.New("the pipeline step did not run")
	}
	p := d.pipeline.Pipeline
	fmt.Fprintf(d.out, "$ cdcops reconcile --source %s --sink %s --table customers\n", p.SourceDSN, p.SinkDSN)
	rep, err := reconcile.Run(ctx, reconcile.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: "customers", Logger: d.g.log})
	if err != nil {
		return err
	}
	if err := d.labG.print(rep, rep.WriteTable); err != nil {
		return err
	}

	var dropped, found []string
	for _, a := range d.pipeline.Dropped {
		if a.Table == "customers" {
			dropped = append(dropped, a.Key)
		}
	}
	for _, diff := range rep.Differences {
		found = append(found, fmt.Sprintf("%s=%s:%s", rep.Key[0], diff.Key[rep.Key[0]], diff.Kind))
	}
	want := make([]string, len(dropped))
	for i, k := range dropped {
		want[i] = k + ":missing"
	}
	slices.Sort(want)
	slices.Sort(found)
	if !slices.Equal(want, found) {
		return fmt.Errorf("reconcile found %v, but the fault dropped %v", found, dropped)
	}
	fmt.Fprintf(d.out, "reconcile found exactly the %d rows the fault dropped: %s\n", len(found), strings.Join(dropped, " "))
	return nil
}
