package faults

import (
	"context"
	"fmt"
	"time"

	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// FlushFaulter is what the lab worker offers for offset-flush faults
// (*worker.Worker implements it).
type FlushFaulter interface {
	SuspendOffsetFlush(connector string) (resume func())
	DelayOffsetFlush(connector string, d time.Duration)
}

// StaleOffsets makes a source connector's stored offset stop advancing
// while its records keep flowing. With w (in-process lab), the worker's
// offset flushes for it are suspended until resume is called — the real
// "flush delayed" failure; delay > 0 delays each flush by delay instead.
// Without w (another process), a lab SqlSource is told through its config
// to keep emitting the offset it resumed from; resume clears that.
// The report carries the offset stored when the fault began.
func StaleOffsets(ctx context.Context, t Target, w FlushFaulter, connector string, delay time.Duration) (Report, func(context.Context) error, error) {
	rep := Report{Kind: "stale-offsets", Connector: connector}
	before, err := t.Connect.Offsets(ctx, connector)
	if err != nil {
		return rep, nil, err
	}
	rep.Offset = "(none yet)"
	for _, o := range before.Offsets {
		rep.Offset = string(o.Offset)
	}
	var resume func(context.Context) error
	switch {
	case w != nil && delay > 0:
		w.DelayOffsetFlush(connector, delay)
		resume = func(context.Context) error { w.DelayOffsetFlush(connector, 0); return nil }
		rep.Summary = fmt.Sprintf("offset flushes of %s now wait %s each; stored offset %s", connector, delay, rep.Offset)
	case w != nil:
		r := w.SuspendOffsetFlush(connector)
		resume = func(context.Context) error { r(); return nil }
		rep.Summary = fmt.Sprintf("offset flushes of %s suspended; stored offset stays %s while records flow", connector, rep.Offset)
	default:
		cfg, err := labConfig(ctx, t, connector, sqlpipe.SourceClass)
		if err != nil {
			return rep, nil, err
		}
		cfg[sqlpipe.KeyFaultFreezeOffset] = "true"
		if _, _, err := t.Connect.PutConfig(ctx, connector, cfg); err != nil {
			return rep, nil, err
		}
		if err := awaitReconfigured(ctx, t, connector, sqlpipe.KeyFaultFreezeOffset, "true", armTimeout); err != nil {
			return rep, nil, err
		}
		resume = func(ctx context.Context) error { return ClearFaults(ctx, t, connector) }
		rep.Summary = fmt.Sprintf("%s keeps flushing its resume offset; stored offset stays near %s while records flow", connector, rep.Offset)
	}
	rep.Complete = true
	return rep, resume, nil
}
