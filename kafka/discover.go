package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// FoundTopic is an offsets topic in use and why cdcops thinks so.
type FoundTopic struct {
	Name       string   `json:"name"`
	Partitions int32    `json:"partitions"`
	Compacted  bool     `json:"compacted"`
	Sampled    int      `json:"sampled"`     // records sampled
	OffsetKeys int      `json:"offset_keys"` // of which Connect offset keys
	Namespaces []string `json:"namespaces,omitempty"`
	Reasons    []string `json:"reasons"`
}

const sampleSize = 8

// DiscoverOffsetsTopics finds the offsets topics in use: compacted topics
// where at least half the sampled keys are Connect offset keys (or that are
// named like offsets topics), plus the topics in
// configured (topic → reason, e.g. a connector's offsets.storage.topic),
// which are reported even when they look empty.
func (c *Client) DiscoverOffsetsTopics(ctx context.Context, configured map[string]string) ([]FoundTopic, error) {
	details, err := c.adm.ListTopics(ctx)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("list topics: %w", err))
	}
	names := details.Names()
	cfgs, err := c.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil && len(names) > 0 {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("describe topic configs: %w", err))
	}
	compacted := map[string]bool{}
	for _, rc := range cfgs {
		for _, cf := range rc.Configs {
			if cf.Key == "cleanup.policy" && strings.Contains(cf.MaybeValue(), "compact") {
				compacted[rc.Name] = true
			}
		}
	}
	var out []FoundTopic
	for _, name := range names {
		reason, isConfigured := configured[name]
		if !compacted[name] && !isConfigured {
			continue
		}
		ft := FoundTopic{Name: name, Partitions: int32(len(details[name].Partitions)), Compacted: compacted[name]}
		if isConfigured {
			ft.Reasons = append(ft.Reasons, reason)
		}
		keys, err := c.sampleKeys(ctx, name, sampleSize)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, k := range keys {
			ft.Sampled++
			if ns, ok := KeyNamespace(k); ok {
				ft.OffsetKeys++
				if !seen[ns] {
					seen[ns] = true
					ft.Namespaces = append(ft.Namespaces, ns)
				}
			}
		}
		sort.Strings(ft.Namespaces)
		switch {
		case compacted[name] && ft.OffsetKeys > 0 && 2*ft.OffsetKeys >= ft.Sampled:
			// A few malformed keys must not hide an offsets topic.
			ft.Reasons = append(ft.Reasons, fmt.Sprintf("compacted, and %d/%d sampled keys are Connect offset keys", ft.OffsetKeys, ft.Sampled))
		case compacted[name] && ft.Sampled > 0 && strings.Contains(name, "offset"):
			ft.Reasons = append(ft.Reasons, fmt.Sprintf("compacted and named like an offsets topic, though only %d/%d sampled keys are Connect offset keys", ft.OffsetKeys, ft.Sampled))
		case compacted[name] && ft.Sampled == 0 && strings.Contains(name, "offset"):
			ft.Reasons = append(ft.Reasons, "compacted and empty, named like an offsets topic")
		case !isConfigured:
			continue // compacted, but not holding offsets
		}
		out = append(out, ft)
	}
	for name, reason := range configured {
		if _, ok := details[name]; !ok {
			out = append(out, FoundTopic{Name: name, Reasons: []string{reason + " (topic does not exist)"}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// sampleKeys returns up to n keys from the start of topic; it stops at the
// sampled end offsets, so an empty topic returns at once.
func (c *Client) sampleKeys(ctx context.Context, topic string, n int) ([][]byte, error) {
	ends, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("end offsets of %s: %w", topic, err))
	}
	starts, _ := c.adm.ListStartOffsets(ctx, topic)
	todo := map[int32]kgo.Offset{}
	for p, lo := range ends[topic] {
		if lo.Err != nil {
			continue
		}
		start := int64(0)
		if so, ok := starts.Lookup(topic, p); ok && so.Err == nil {
			start = so.Offset
		}
		if lo.Offset > start {
			todo[p] = kgo.NewOffset().At(start)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: todo}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var keys [][]byte
	ends2 := map[int32]int64{}
	for p := range todo {
		ends2[p] = ends[topic][p].Offset
	}
	// Bounded: transactional-only partitions may deliver no data records.
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for len(keys) < n && len(ends2) > 0 && pctx.Err() == nil {
		fs := cl.PollFetches(pctx)
		fs.EachRecord(func(r *kgo.Record) {
			if len(keys) < n {
				keys = append(keys, append([]byte(nil), r.Key...))
			}
			if end, ok := ends2[r.Partition]; ok && r.Offset >= end-1 {
				delete(ends2, r.Partition)
			}
		})
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return keys, nil
}

// GroupOffsets returns a consumer group's committed offsets, sorted.
func (c *Client) GroupOffsets(ctx context.Context, group string) ([]cdcops.PartitionOffset, error) {
	resp, err := c.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// A sink that never ran has no group. Kafka answers an empty list
		// for that; kfake (the lab) answers GROUP_ID_NOT_FOUND.
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("offsets of group %s: %w", group, err))
	}
	var out []cdcops.PartitionOffset
	var ferr error
	resp.Each(func(o kadmOffsetResponse) {
		if o.Err != nil {
			ferr = o.Err
			return
		}
		out = append(out, cdcops.PartitionOffset{Topic: o.Topic, Partition: o.Partition, Offset: o.At})
	})
	if ferr != nil {
		return nil, fmt.Errorf("offsets of group %s: %w", group, ferr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out, nil
}
