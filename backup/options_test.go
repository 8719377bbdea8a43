package backup

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
)

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string // "" = valid
	}{
		{"named via topic", Options{Names: []string{"a"}, Via: "topic"}, ""},
		{"all via rest", Options{All: true, Via: "rest"}, ""},
		{"unknown via", Options{All: true, Via: "kafka"}, `--via "kafka": use topic or rest`},
		{"empty via", Options{All: true}, `--via "": use topic or rest`},
		{"neither names nor all", Options{Via: "topic"}, "name the connectors to back up, or pass --all (not both)"},
		{"both names and all", Options{Names: []string{"a"}, All: true, Via: "topic"}, "(not both)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid options refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if code := cdcops.ErrorCodeOf(err); code != cdcops.EINVALID {
				t.Errorf("code %s, want %s (exit 2)", code, cdcops.EINVALID)
			}
		})
	}
}

func TestScopeOf(t *testing.T) {
	topics := []cdcops.SnapshotTopic{{Name: "connect-offsets"}, {Name: "per-connector-offsets"}}
	for _, tc := range []struct {
		name string
		meta cdcops.SnapshotMeta
		want Options
	}{
		{"all", cdcops.SnapshotMeta{Via: "topic", Scope: []string{"*"}, Topics: topics},
			Options{All: true, Via: "topic", Topics: []string{"connect-offsets", "per-connector-offsets"}, AllowPartial: true}},
		{"named via rest", cdcops.SnapshotMeta{Via: "rest", Scope: []string{"a", "b"}, Topics: []cdcops.SnapshotTopic{}},
			Options{Names: []string{"a", "b"}, Via: "rest", AllowPartial: true}},
		{"taken with Connect", cdcops.SnapshotMeta{Via: "topic", Scope: []string{"a"}},
			Options{Names: []string{"a"}, Via: "topic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &cdcops.Snapshot{Meta: tc.meta}
			if !tc.want.AllowPartial {
				s.Content.Connectors = []cdcops.SnapshotConnector{{Name: "a"}}
			}
			if got := ScopeOf(s); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ScopeOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSinkGroup(t *testing.T) {
	if g := sinkGroup("orders-sink", map[string]string{"topics": "orders"}); g != "connect-orders-sink" {
		t.Errorf("default group %q", g)
	}
	if g := sinkGroup("orders-sink", map[string]string{"consumer.override.group.id": "custom"}); g != "custom" {
		t.Errorf("override group %q", g)
	}
}

func TestCoverageCountsEveryKind(t *testing.T) {
	s := &cdcops.Snapshot{Content: cdcops.SnapshotContent{
		Records: []cdcops.OffsetRecord{{Connector: "src"}, {Connector: "src"}, {Malformed: true, RawKey: []byte("junk")}},
		Groups:  []cdcops.GroupOffsets{{Connector: "snk", Offsets: []cdcops.PartitionOffset{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1}}}},
		REST:    map[string]cdcops.ConnectorOffsets{"rst": {Offsets: []cdcops.ConnectorOffset{{}, {}, {}}}},
	}}
	got := coverage(s)
	want := map[string]int{"src": 2, "snk": 2, "rst": 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coverage %v, want %v (malformed keys belong to no connector)", got, want)
	}
	if n := countREST(s); n != 3 {
		t.Errorf("countREST %d, want 3", n)
	}
}

func TestWarnMalformed(t *testing.T) {
	var b strings.Builder
	warnMalformed(&b, &cdcops.Snapshot{Content: cdcops.SnapshotContent{Records: []cdcops.OffsetRecord{{Connector: "src"}}}})
	if b.Len() != 0 {
		t.Errorf("warned about well-formed keys: %q", b.String())
	}
	warnMalformed(&b, &cdcops.Snapshot{Content: cdcops.SnapshotContent{Records: []cdcops.OffsetRecord{
		{Malformed: true, RawKey: []byte(`{"schema":{"type":"array"},"payload":["x",{}]}`)},
		{Malformed: true, RawKey: []byte(strings.Repeat("k", 200))},
	}}})
	out := b.String()
	if !strings.Contains(out, "WARNING: 2 key(s) are not Connect offset keys") || !strings.Contains(out, "schemas.enable=true") {
		t.Errorf("warning %q", out)
	}
}
