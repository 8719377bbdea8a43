package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// collectOptions say what state to gather: which connectors (Names, or
// All), through which door (Via "topic" reads the offsets topics, "rest"
// asks GET /connectors/{c}/offsets), and which offsets topics (Topics;
// empty = discover them).
type collectOptions struct {
	Names  []string
	All    bool
	Via    string
	Topics []string
}

func (o collectOptions) validate() error {
	if o.Via != "topic" && o.Via != "rest" {
		return usageError{fmt.Errorf("--via %q: use topic or rest", o.Via)}
	}
	if o.All == (len(o.Names) > 0) {
		return usageError{fmt.Errorf("name the connectors to back up, or pass --all (not both)")}
	}
	return nil
}

// connectorMeta is what Connect says about the connectors.
type connectorMeta struct {
	infos   map[string]*connect.ConnectorInfo
	version string
	cluster string
	err     error // Connect unreachable: topic reads go on without metadata
}

const metadataTimeout = 15 * time.Second

func fetchConnectorMeta(ctx context.Context, g *globals) connectorMeta {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	cc := g.connectClient()
	m := connectorMeta{infos: map[string]*connect.ConnectorInfo{}}
	info, err := cc.ServerInfo(ctx)
	if err != nil {
		m.err = err
		return m
	}
	m.version, m.cluster = info.Version, info.KafkaClusterID
	exp, err := cc.ListExpanded(ctx, connect.ExpandInfo)
	if err != nil {
		m.err = err
		return m
	}
	for name, e := range exp {
		if e.Info != nil {
			m.infos[name] = e.Info
		}
	}
	return m
}

// sinkGroup is a sink connector's consumer group (spec §2.7).
func sinkGroup(name string, cfg map[string]string) string {
	if gid := cfg["consumer.override.group.id"]; gid != "" {
		return gid
	}
	return "connect-" + name
}

// collectSnapshot gathers the offsets state into an (unsaved) snapshot.
func collectSnapshot(ctx context.Context, g *globals, o collectOptions) (*cdcops.Snapshot, error) {
	meta := fetchConnectorMeta(ctx, g)
	if meta.err != nil {
		if o.Via == "rest" {
			return nil, fmt.Errorf("offsets via REST: %w", meta.err)
		}
		g.log.Warn("Kafka Connect unreachable; backing up the offsets topics without connector classes and configs", "connect", g.connectURL, "err", meta.err)
	}
	s := &cdcops.Snapshot{Meta: cdcops.SnapshotMeta{
		Created: time.Now().UTC().Truncate(time.Millisecond), CdcopsVersion: cdcops.Version, Via: o.Via,
		ConnectURL: cdcops.RedactDSN(g.connectURL), ConnectVersion: meta.version, KafkaClusterID: meta.cluster,
		Topics: []cdcops.SnapshotTopic{}, Scope: o.Names,
	}}
	if o.All {
		s.Meta.Scope = []string{"*"}
	}
	inScope := func(name string) bool {
		if o.All {
			return true
		}
		for _, n := range o.Names {
			if n == name {
				return true
			}
		}
		return false
	}
	for name, info := range meta.infos {
		if !inScope(name) {
			continue
		}
		c := cdcops.SnapshotConnector{Name: name, Type: info.Type, Class: info.Config["connector.class"],
			Config: cdcops.RedactConfig(info.Config), OffsetsTopic: info.Config["offsets.storage.topic"]}
		if info.Type == cdcops.ConnectorSink {
			c.Group = sinkGroup(name, info.Config)
		}
		s.Content.Connectors = append(s.Content.Connectors, c)
	}
	var err error
	if o.Via == "rest" {
		err = collectREST(ctx, g, o, meta, s)
	} else {
		err = collectTopics(ctx, g, o, meta, s, inScope)
	}
	if err != nil {
		return nil, err
	}
	snapfile.Canonicalize(&s.Content)
	return s, nil
}

func collectREST(ctx context.Context, g *globals, o collectOptions, meta connectorMeta, s *cdcops.Snapshot) error {
	names := o.Names
	if o.All {
		for n := range meta.infos {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	cc := g.connectClient()
	s.Content.REST = map[string]cdcops.ConnectorOffsets{}
	for _, n := range names {
		if _, ok := meta.infos[n]; !ok {
			continue // reported as missing by the caller
		}
		body, err := cc.Offsets(ctx, n)
		if err != nil {
			return fmt.Errorf("offsets of %s via REST: %w", n, err)
		}
		s.Content.REST[n] = *body
	}
	return nil
}

func collectTopics(ctx context.Context, g *globals, o collectOptions, meta connectorMeta, s *cdcops.Snapshot, inScope func(string) bool) error {
	kc, err := kafka.Dial(ctx, g.bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	s.Meta.Bootstrap = kc.Bootstrap()
	if id, err := kc.ClusterID(ctx); err == nil && id != "" {
		s.Meta.KafkaClusterID = id
	}
	start := time.Now()
	topics, err := offsetsTopics(ctx, kc, o.Topics, meta)
	if err != nil {
		return err
	}
	g.log.Debug("offsets topics chosen", "topics", len(topics), "took", time.Since(start))
	for _, t := range topics {
		start = time.Now()
		st, err := kc.ReadTopic(ctx, t.Name)
		if err != nil {
			return err
		}
		g.log.Debug("read offsets topic to its sampled end", "topic", t.Name, "records", st.Read, "tombstones", st.Tombstones, "live_keys", st.Len(), "took", time.Since(start))
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
func offsetsTopics(ctx context.Context, kc *kafka.Client, explicit []string, meta connectorMeta) ([]kafka.FoundTopic, error) {
	if len(explicit) > 0 {
		out := make([]kafka.FoundTopic, len(explicit))
		for i, t := range explicit {
			out[i] = kafka.FoundTopic{Name: t, Reasons: []string{"named with --topic"}}
		}
		return out, nil
	}
	configured := map[string]string{}
	for name, info := range meta.infos {
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

// coverage counts what a snapshot holds per connector.
func coverage(s *cdcops.Snapshot) map[string]int {
	n := map[string]int{}
	for _, r := range s.Content.Records {
		if !r.Malformed {
			n[r.Connector]++
		}
	}
	for _, gr := range s.Content.Groups {
		n[gr.Connector] += len(gr.Offsets)
	}
	for name, body := range s.Content.REST {
		n[name] += len(body.Offsets)
	}
	return n
}
