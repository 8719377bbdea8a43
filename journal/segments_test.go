package journal

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/vault"
)

// Sealed segments hold exactly the entries since the last one, byte for
// byte, are stored with their sha256, and expire with the retention.
func TestSegmentsShipAndExpire(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, testenv.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Open(ctx, "file://"+dir, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	j := &Journal{o: Options{Store: st, Segments: v, SegmentMax: 3, SegmentEvery: time.Hour, Retention: 24 * time.Hour, Now: func() time.Time { return now }}}
	ids, err := st.AddJournalKeys(ctx, []state.JournalKey{{Topic: "connect-offsets", Connector: "a", Key: []byte(`["a",{"server":"x"}]`)}})
	if err != nil {
		t.Fatal(err)
	}
	var written []state.JournalEntry
	for i := range 5 {
		e := state.JournalEntry{KeyID: ids[0], Partition: 3, Offset: int64(i), Time: now.Add(time.Duration(i) * time.Second), Seen: now,
			Value: []byte(`{"lsn":` + string(rune('0'+i)) + `}`)}
		if i == 4 {
			e.Value = nil
		}
		written = append(written, e)
	}
	if err := st.AppendJournal(ctx, state.JournalBatch{Entries: written}); err != nil {
		t.Fatal(err)
	}
	seg1, err := j.ship(ctx, false)
	if err != nil || seg1 == nil || seg1.Entries != 3 {
		t.Fatalf("first segment %+v %v, want 3 entries (SegmentMax)", seg1, err)
	}
	if seg, err := j.ship(ctx, false); err != nil || seg != nil {
		t.Fatalf("2 waiting entries < SegmentMax and the last seal is new: want no segment, got %+v %v", seg, err)
	}
	seg2, err := j.ship(ctx, true)
	if err != nil || seg2 == nil || seg2.Entries != 2 || seg2.FirstSeq != seg1.LastSeq+1 {
		t.Fatalf("second segment %+v %v", seg2, err)
	}
	var lines []segmentLine
	for _, seg := range []*state.JournalSegment{seg1, seg2} {
		raw, err := os.ReadFile(filepath.Join(dir, "journal", seg.Name))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != seg.SHA256 {
			t.Errorf("%s: sha256 differs from the recorded one", seg.Name)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Scan()
		var h segmentHeader
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != SegmentFormat || h.FirstSeq != seg.FirstSeq {
			t.Fatalf("header %s: %+v %v", sc.Text(), h, err)
		}
		for sc.Scan() {
			var l segmentLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
	}
	if len(lines) != len(written) {
		t.Fatalf("segments hold %d entries, %d written", len(lines), len(written))
	}
	for i, l := range lines {
		w := written[i]
		if l.KafkaOffset != w.Offset || !bytes.Equal(l.Value, w.Value) || (w.Value == nil) != (l.Value == nil) || string(l.Key) != `["a",{"server":"x"}]` {
			t.Errorf("entry %d: %+v, wrote %+v", i, l, w)
		}
	}
	if junk, err := v.Junk(ctx); err != nil || len(junk) != 0 {
		t.Errorf("segments reported as vault junk: %v %v", junk, err)
	}
	// A day and a bit later both segments are past the retention.
	now = now.Add(25 * time.Hour)
	if n, err := j.expireSegments(ctx); err != nil || n != 2 {
		t.Fatalf("expired %d %v, want 2", n, err)
	}
	if left, _ := v.Segments(ctx); len(left) != 0 {
		t.Errorf("segments left in the vault: %v", left)
	}
	if snaps, _ := v.List(ctx); len(snaps) != 0 {
		t.Errorf("segments listed as snapshots: %v", snaps)
	}
}
