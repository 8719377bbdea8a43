package backup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// Sources are the systems a backup reads and where it reports.
type Sources struct {
	// Connect gives connector metadata and the offsets with Via "rest";
	// its URL (without userinfo) is what the snapshot and logs record.
	Connect *connect.Client
	// Bootstrap is Kafka's HOST:PORT list, dialled only to read the offsets
	// topics (Via "topic"), so a REST backup works without Kafka.
	Bootstrap string
	Log       *slog.Logger // nil = discard
	Warn      io.Writer    // warnings for the operator (local vault, malformed keys); nil = discard
}

func (s Sources) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Options say what state to gather: which connectors (Names, or All),
// through which door (Via "topic" reads the offsets topics, "rest" asks
// GET /connectors/{c}/offsets), and which offsets topics (Topics; empty =
// discover them). AllowEmpty lets Take store a backup that is empty or
// misses a named connector.
type Options struct {
	Names      []string
	All        bool
	Via        string
	Topics     []string
	AllowEmpty bool
	// AllowPartial reads the offsets topics alone when Kafka Connect cannot
	// be read (no sink groups, no classes or configs) instead of refusing.
	AllowPartial bool
	// DedupeWindow: Take stores nothing when the newest intact snapshot
	// with identical content is younger than this (0 = always store).
	DedupeWindow time.Duration
}

// Validate checks the options as the command line gives them (EINVALID).
func (o Options) Validate() error {
	if o.Via != "topic" && o.Via != "rest" {
		return cdcops.Errorf(cdcops.EINVALID, "--via topic reads the offsets topics exactly; --via rest asks Connect", "--via %q: use topic or rest", o.Via)
	}
	if o.All == (len(o.Names) > 0) {
		return cdcops.Errorf(cdcops.EINVALID, "`cdcops connectors list` shows the names", "name the connectors to back up, or pass --all (not both)")
	}
	if o.DedupeWindow < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "0 stores every backup; 1h skips identical ones for an hour", "--dedupe-window %s must not be negative", o.DedupeWindow)
	}
	return nil
}

// ScopeOf returns the options that read the current state the same way s
// was taken: same connectors, same Via, same offsets topics. A snapshot
// without connectors and sink groups was taken without Kafka Connect, so
// the current state may be read without it too.
func ScopeOf(s *cdcops.Snapshot) Options {
	o := Options{Via: s.Meta.Via, Names: s.Meta.Scope}
	if len(s.Meta.Scope) == 1 && s.Meta.Scope[0] == "*" {
		o = Options{Via: s.Meta.Via, All: true}
	}
	o.AllowPartial = len(s.Content.Connectors) == 0 && len(s.Content.Groups) == 0
	for _, t := range s.Meta.Topics {
		o.Topics = append(o.Topics, t.Name)
	}
	return o
}

// Collect gathers the offsets state in o's scope into an unsaved snapshot.
// It does not Validate o: a scope read back from a stored snapshot
// (ScopeOf) is collected as it is. When Kafka Connect cannot be read it
// refuses unless o.AllowPartial, because the state would miss the sink
// groups and configs and look like they were removed.
func Collect(ctx context.Context, src Sources, o Options) (*cdcops.Snapshot, error) {
	s, _, err := collect(ctx, src, o)
	return s, err
}

// collect is Collect that also says which parts could not be read.
func collect(ctx context.Context, src Sources, o Options) (*cdcops.Snapshot, []string, error) {
	partial := []string{}
	meta, metaErr := FetchMeta(ctx, src.Connect)
	if metaErr != nil {
		if o.Via == "rest" {
			return nil, nil, fmt.Errorf("offsets via REST: %w", metaErr)
		}
		if !o.AllowPartial {
			return nil, nil, &cdcops.Error{Code: cdcops.EUNAVAILABLE,
				Msg:  fmt.Sprintf("Kafka Connect at %s could not be read, so sink consumer groups and connector configs would be missing", src.Connect.URL()),
				Hint: "check --connect (and its credentials); `offsets backup --allow-partial` stores the offsets topics alone", Err: metaErr}
		}
		partial = append(partial, fmt.Sprintf("sink consumer group offsets and connector classes/configs (Kafka Connect at %s: %v)", src.Connect.URL(), oneLine(metaErr)))
		src.log().Warn("Kafka Connect unreachable; reading the offsets topics without connector classes, configs and sink groups (--allow-partial)", "connect", src.Connect.URL(), "err", metaErr)
	}
	s := &cdcops.Snapshot{Meta: cdcops.SnapshotMeta{
		Created: time.Now().UTC().Truncate(time.Millisecond), CdcopsVersion: cdcops.Version, Via: o.Via,
		ConnectURL: cdcops.RedactDSN(src.Connect.URL()), ConnectVersion: meta.Version, KafkaClusterID: meta.ClusterID,
		Topics: []cdcops.SnapshotTopic{}, Scope: o.Names,
	}}
	if o.All {
		s.Meta.Scope = []string{"*"}
	}
	inScope := func(name string) bool { return o.All || slices.Contains(o.Names, name) }
	for name, info := range meta.Infos {
		if !inScope(name) {
			continue
		}
		c := cdcops.SnapshotConnector{Name: name, Type: info.Type, Class: info.Config["connector.class"],
			Config: cdcops.RedactConfig(info.Config, meta.PasswordKeys[info.Config["connector.class"]]...), OffsetsTopic: info.Config["offsets.storage.topic"]}
		if info.Type == cdcops.ConnectorSink {
			c.Group = sinkGroup(name, info.Config)
		}
		s.Content.Connectors = append(s.Content.Connectors, c)
	}
	var err error
	if o.Via == "rest" {
		err = collectREST(ctx, src, o, meta, s)
	} else {
		err = collectTopics(ctx, src, o, meta, s, inScope)
	}
	if err != nil {
		return nil, nil, err
	}
	snapfile.Canonicalize(&s.Content)
	return s, partial, nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func collectREST(ctx context.Context, src Sources, o Options, meta Meta, s *cdcops.Snapshot) error {
	names := o.Names
	if o.All {
		for n := range meta.Infos {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	s.Content.REST = map[string]cdcops.ConnectorOffsets{}
	for _, n := range names {
		if _, ok := meta.Infos[n]; !ok {
			continue // reported as missing by Take
		}
		body, err := src.Connect.Offsets(ctx, n)
		if err != nil {
			return fmt.Errorf("offsets of %s via REST: %w", n, err)
		}
		s.Content.REST[n] = *body
	}
	return nil
}

func collectTopics(ctx context.Context, src Sources, o Options, meta Meta, s *cdcops.Snapshot, inScope func(string) bool) error {
	kc, err := kafka.Dial(ctx, src.Bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	s.Meta.Bootstrap = kc.Bootstrap()
	if id, err := kc.ClusterID(ctx); err == nil && id != "" {
		s.Meta.KafkaClusterID = id
	}
	log := src.log()
	start := time.Now()
	topics, err := offsetsTopics(ctx, kc, o.Topics, meta)
	if err != nil {
		return err
	}
	log.Debug("offsets topics chosen", "topics", len(topics), "took", time.Since(start))
	for _, t := range topics {
		start = time.Now()
		st, err := kc.ReadTopic(ctx, t.Name)
		if err != nil {
			return err
		}
		log.Debug("read offsets topic to its sampled end", "topic", t.Name, "records", st.Read, "tombstones", st.Tombstones, "live_keys", st.Len(), "took", time.Since(start))
		s.Meta.Topics = append(s.Meta.Topics, cdcops.SnapshotTopic{Name: t.Name, Reason: strings.Join(t.Reasons, "; "), Partitions: st.Partitions, EndOffsets: st.End})
		for _, r := range st.Records() {
			// Malformed keys belong to no connector; they are kept in --all backups.
			if r.Malformed && !o.All || !r.Malformed && !inScope(r.Connector) {
				continue
			}
			s.Content.Records = append(s.Content.Records, r)
		}
	}
	for _, c := range s.Content.Connectors {
		if c.Group == "" {
			continue
		}
		offs, err := kc.GroupOffsets(ctx, c.Group)
		if err != nil {
			return err
		}
		if len(offs) > 0 {
			s.Content.Groups = append(s.Content.Groups, cdcops.GroupOffsets{Connector: c.Name, Group: c.Group, Offsets: offs})
		}
	}
	return nil
}

// offsetsTopics picks the topics to read: the ones named with --topic, or
// the discovered ones (compacted topics holding Connect offset keys plus
// every connector's offsets.storage.topic).
func offsetsTopics(ctx context.Context, kc *kafka.Client, explicit []string, meta Meta) ([]kafka.FoundTopic, error) {
	if len(explicit) > 0 {
		out := make([]kafka.FoundTopic, len(explicit))
		for i, t := range explicit {
			out[i] = kafka.FoundTopic{Name: t, Reasons: []string{"named with --topic"}}
		}
		return out, nil
	}
	configured := map[string]string{}
	for name, info := range meta.Infos {
		if t := info.Config["offsets.storage.topic"]; t != "" {
			if configured[t] != "" {
				configured[t] += ", " + name
			} else {
				configured[t] = "offsets.storage.topic of connector " + name
			}
		}
	}
	found, err := kc.DiscoverOffsetsTopics(ctx, configured)
	if err != nil {
		return nil, err
	}
	var out []kafka.FoundTopic
	for _, f := range found {
		if f.Partitions > 0 { // configured but missing topics are shown by `offsets topics`
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "name it with --topic, or check --bootstrap", "no offsets topic found on %s", kc.Bootstrap())
	}
	return out, nil
}
