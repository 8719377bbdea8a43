package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
)

func bigSnapshot(n int) *cdcops.Snapshot {
	s := &cdcops.Snapshot{ID: "20261201T000000Z-abcd", ContentSHA256: "ff",
		Meta: cdcops.SnapshotMeta{Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Via: "topic", Scope: []string{"*"},
			Topics: []cdcops.SnapshotTopic{{Name: "connect-offsets", Partitions: 25, EndOffsets: map[int32]int64{0: 5, 3: 9}}}},
		Content: cdcops.SnapshotContent{Connectors: []cdcops.SnapshotConnector{{Name: "c", Config: map[string]string{"a": "<\"&>"}}},
			Groups: []cdcops.GroupOffsets{{Connector: "s", Group: "connect-s", Offsets: []cdcops.PartitionOffset{{Topic: "t", Partition: 1, Offset: 2}}}},
			REST:   map[string]cdcops.ConnectorOffsets{"c": {Offsets: []cdcops.ConnectorOffset{{Partition: json.RawMessage(`{"server":"x"}`), Offset: json.RawMessage(`{"lsn":1}`)}}}}}}
	for i := 0; i < n; i++ {
		s.Content.Records = append(s.Content.Records, cdcops.OffsetRecord{Topic: "connect-offsets", Partition: int32(i % 25), Offset: int64(i),
			Timestamp: time.Unix(int64(i), 0).UTC(), RawKey: []byte(fmt.Sprintf(`["c",{"server":"db%d"}]`, i)), RawValue: []byte(fmt.Sprintf(`{"lsn":%d,"txId":7}`, i))})
	}
	return s
}

// The streamed form is byte for byte what the whole-document encoder
// printed, for every shape (no records, one, many; groups and REST or not).
func TestSnapshotJSONStreamsTheSameBytes(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		for _, bare := range []bool{false, true} {
			s := bigSnapshot(n)
			if bare {
				s.Content.Groups, s.Content.REST = nil, nil
			}
			if n == 0 && bare {
				s.Content.Records = nil
			}
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			if err := writeSnapshotJSON(&got, s); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("n=%d bare=%v: streamed output differs\ngot:\n%s\nwant:\n%s", n, bare, got.String(), want.String())
			}
		}
	}
}

// BenchmarkSnapshotShowJSON reports the peak heap while printing a
// 200,000-record snapshot, beyond the snapshot itself (sampled at every
// write to the output).
func BenchmarkSnapshotShowJSON(b *testing.B) {
	s := bigSnapshot(200000)
	for _, c := range []struct {
		name string
		fn   func(w *peakWriter) error
	}{
		{"whole-document", func(w *peakWriter) error { enc := json.NewEncoder(w); enc.SetIndent("", "  "); return enc.Encode(s) }},
		{"streamed", func(w *peakWriter) error { return writeSnapshotJSON(w, s) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				w := &peakWriter{base: ms.HeapAlloc}
				if err := c.fn(w); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(w.peak)/(1<<20), "MB-peak-extra")
				b.ReportMetric(float64(w.n)/(1<<20), "MB-output")
			}
		})
	}
}

// peakWriter discards what it is given and samples the heap.
type peakWriter struct{ base, peak, n uint64 }

func (p *peakWriter) Write(b []byte) (int, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > p.base && ms.HeapAlloc-p.base > p.peak {
		p.peak = ms.HeapAlloc - p.base
	}
	p.n += uint64(len(b))
	return len(b), nil
}
