package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/state"
)

type offsetsJournalOptions struct {
	Topics    []string
	Poll      time.Duration
	Retention time.Duration
	Webhook   string
	SealEvery time.Duration
}

func newOffsetsJournalCmd(g *globals) *cobra.Command {
	var opts offsetsJournalOptions
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "Record every offsets write, continuously, for history and point-in-time restore",
		Long: `Tails every offsets topic (discovered like ` + "`offsets backup`" + `, or --topic) with
read_committed isolation and appends every record, byte-exact, to the state
store (--state), continuing after a restart exactly where it stopped. While
it runs, ` + "`offsets history NAME`" + ` shows each connector's timeline and
` + "`offsets backup --at T`" + ` materialises the offsets of any instant.

Writes that no cdcops plan made and that are not a running task's progress
are flagged unaudited: tombstones, positions that went backwards, writes
while the connector was stopped (a REST PATCH or DELETE, a console
producer). They are logged and, with --webhook, posted as JSON.

Sealed segments of new entries (gzip'd JSON lines, exact bytes in base64,
sha256 recorded) go to the vault (--vault) at least every --seal-every and
on a clean stop, so the journal outlives its state store. Entries and
segments older than --retention are deleted. Runs until interrupted
(Ctrl-C); sink connectors' group offsets are polled every second.`,
		Example: `  cdcops offsets journal
  cdcops offsets journal --topic connect-offsets --retention 336h
  cdcops offsets journal --webhook https://hooks.example.com/cdcops`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOffsetsJournal(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Topics, "topic", nil, "offsets topic(s) to journal (default: discover them, see `cdcops offsets topics`)")
	cmd.Flags().DurationVar(&opts.Poll, "poll", 250*time.Millisecond, "how often connector states are sampled from Connect")
	cmd.Flags().DurationVar(&opts.Retention, "retention", journal.DefaultRetention, "how long entries are kept")
	cmd.Flags().StringVar(&opts.Webhook, "webhook", "", "POST each unaudited change as JSON to this URL")
	cmd.Flags().DurationVar(&opts.SealEvery, "seal-every", 10*time.Minute, "ship a sealed segment of new entries to the vault at least this often")
	return cmd
}

func (o offsetsJournalOptions) validate() error {
	switch {
	case o.Poll < 10*time.Millisecond || o.Poll > time.Minute:
		return cdcops.Errorf(cdcops.EINVALID, "pass --poll between 10ms and 1m", "--poll %v is out of range", o.Poll)
	case o.Retention < time.Hour:
		return cdcops.Errorf(cdcops.EINVALID, "pass --retention of at least 1h (default 168h)", "--retention %v is out of range", o.Retention)
	case o.SealEvery < time.Second:
		return cdcops.Errorf(cdcops.EINVALID, "pass --seal-every of at least 1s (default 10m)", "--seal-every %v is out of range", o.SealEvery)
	}
	return nil
}

func runOffsetsJournal(ctx context.Context, g *globals, o offsetsJournalOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	var notify func(context.Context, journal.Change)
	if o.Webhook != "" {
		hook, err := newWebhook(o.Webhook)
		if err != nil {
			return err
		}
		notify = func(ctx context.Context, c journal.Change) {
			if err := hook.post(ctx, map[string]any{"event": "unaudited_offsets_change", "change": c}); err != nil {
				g.log.Warn("journal: webhook", "err", err)
			}
		}
	}
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	kc, err := kafka.Dial(ctx, g.bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	cc := g.connectClient()
	meta, metaErr := backup.FetchMeta(ctx, cc)
	var states journal.StateSource
	if metaErr == nil {
		states = journal.ConnectStates{Connect: cc}
	} else {
		g.log.Warn("Kafka Connect unreachable: journaling the offsets topics only; writes while a connector is stopped will not be flagged", "err", metaErr)
	}
	v, err := g.openVault(ctx, "")
	if err != nil {
		return err
	}
	defer v.Close()
	found, err := backup.OffsetsTopics(ctx, kc, o.Topics, meta)
	if err != nil {
		return err
	}
	topics := make([]string, len(found))
	for i, f := range found {
		topics[i] = f.Name
	}
	j, err := journal.New(ctx, journal.Options{Store: store, Kafka: kc, Topics: topics, States: states,
		Groups: journal.KafkaGroups{Kafka: kc}, Plans: planSource(store), Notify: notify, Segments: v, SegmentEvery: o.SealEvery, Log: g.log, Poll: o.Poll, Retention: o.Retention})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "journaling %v into %s, sealed segments to %s (%s); Ctrl-C stops\n", topics, store.Name(), v.URL(), j.Mode())
	err = j.Run(ctx)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(g.stderr, "journal stopped; the next run continues where this one ended")
		return nil
	}
	return err
}
