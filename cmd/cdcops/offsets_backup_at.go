package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/state"
)

// journalSnapshot materialises the offsets at the instant at from the
// journal (`offsets journal`), refusing an instant the journal has not
// seen completely or one inside a gap.
func journalSnapshot(ctx context.Context, g *globals, names []string, at string, allowGap bool) (*cdcops.Snapshot, error) {
	now := time.Now()
	t, err := parseInstant("--at", at, now)
	if err != nil {
		return nil, err
	}
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	horizon, err := journalHorizon(ctx, g, store, now)
	if err != nil {
		return nil, err
	}
	s, warnings, err := journal.SnapshotAt(ctx, store, journal.AtOptions{Connectors: names, At: t, Horizon: horizon, AllowGaps: allowGap})
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintln(g.stderr, "WARNING:", w)
	}
	s.Meta.CdcopsVersion = cdcops.Version
	// Classes and configs as Connect has them now: what a restore validates against.
	if meta, err := backup.FetchMeta(ctx, g.connectClient()); err == nil {
		s.Meta.ConnectVersion, s.Meta.KafkaClusterID = meta.Version, meta.ClusterID
		for _, name := range s.Meta.Scope {
			if info, ok := meta.Infos[name]; ok {
				s.Content.Connectors = append(s.Content.Connectors, cdcops.SnapshotConnector{Name: name, Type: info.Type,
					Class: info.Config["connector.class"], Config: cdcops.RedactConfig(info.Config), OffsetsTopic: info.Config["offsets.storage.topic"]})
			}
		}
	}
	return s, nil
}

// journalHorizon is how far the journal has seen: now when it has read
// every offsets topic to its end (Kafka asked now), else the time of the
// newest record it stored on a partition still behind. Without Kafka it
// is the last time a journal run was alive.
func journalHorizon(ctx context.Context, g *globals, store *state.Store, now time.Time) (time.Time, error) {
	pos, err := store.JournalPositions(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if len(pos) == 0 {
		return time.Time{}, cdcops.Errorf(cdcops.ENOTFOUND, "start `cdcops offsets journal` (it records every offsets write from now on, and what the topics still hold)",
			"the journal in %s is empty", store.Name())
	}
	topics := make([]string, 0, len(pos))
	for t := range pos {
		topics = append(topics, t)
	}
	kc, err := kafka.Dial(ctx, g.bootstrap)
	if err == nil {
		defer kc.Close()
		var ends map[string]map[int32]int64
		if ends, err = kc.EndOffsets(ctx, topics...); err == nil {
			return journal.Horizon(ctx, store, ends, now)
		}
	}
	runs, rerr := store.JournalRuns(ctx)
	if rerr != nil || len(runs) == 0 {
		return time.Time{}, err
	}
	last := runs[len(runs)-1].Alive
	g.log.Warn("Kafka unreachable: trusting the journal only up to its last run", "until", last.Format(time.RFC3339), "err", err)
	return last, nil
}

// backupAt stores the journal's offsets at o.At as a snapshot.
func backupAt(ctx context.Context, g *globals, o offsetsBackupOptions) (backup.Result, error) {
	if o.All == (len(o.Names) > 0) {
		return backup.Result{}, cdcops.Errorf(cdcops.EINVALID, "", "name the connectors to back up, or pass --all (not both)")
	}
	if o.Via != "topic" || len(o.Topics) > 0 {
		return backup.Result{}, cdcops.Errorf(cdcops.EINVALID, "drop --via/--topic: a backup --at reads the journal", "--at reads the offsets journal, not --via %s or --topic", o.Via)
	}
	s, err := journalSnapshot(ctx, g, o.Names, o.At, o.AllowGap)
	if err != nil {
		return backup.Result{}, err
	}
	if o.All {
		s.Meta.Scope = []string{"*"}
	}
	if len(s.Content.Records) == 0 && !o.AllowEmpty {
		return backup.Result{}, cdcops.Errorf(cdcops.ECONFLICT, "pick a later --at, or --allow-empty stores it anyway",
			"refusing to store an empty backup: no offsets at %s for %s", o.At, strings.Join(s.Meta.Scope, ", "))
	}
	v, err := g.openVault(ctx, "")
	if err != nil {
		return backup.Result{}, err
	}
	defer v.Close()
	sum, err := v.Put(ctx, s)
	if err != nil {
		return backup.Result{}, err
	}
	return backup.Result{SnapshotSummary: sum, Vault: v.URL()}, nil
}

// storeSnapshot puts s into --vault and returns its id.
func (g *globals) storeSnapshot(ctx context.Context, s *cdcops.Snapshot) (string, error) {
	v, err := g.openVault(ctx, "")
	if err != nil {
		return "", err
	}
	defer v.Close()
	sum, err := v.Put(ctx, s)
	return sum.ID, err
}
