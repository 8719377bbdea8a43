package state

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The offsets journal's tables. Keys are stored once (journal_keys) and
// entries point at them, so a journal costs about the record bytes it
// holds. Times are Unix milliseconds: entries are range-scanned by time.
const (
	journalKeysTable = `CREATE TABLE journal_keys (
  id        %ID%,
  topic     TEXT NOT NULL,
  connector TEXT NOT NULL,
  key_bytes %BLOB% NOT NULL
)`
	journalEntriesTable = `CREATE TABLE journal_entries (
  seq       %ID%,
  key_id    BIGINT NOT NULL,
  kpart     INTEGER NOT NULL,
  koffset   BIGINT NOT NULL,
  ts_ms     BIGINT NOT NULL,
  seen_ms   BIGINT NOT NULL,
  value     %BLOB%,
  unaudited INTEGER NOT NULL,
  reason    TEXT NOT NULL,
  plan_id   TEXT NOT NULL
)`
	journalPositionsTable = `CREATE TABLE journal_positions (
  topic       TEXT NOT NULL,
  kpart       INTEGER NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (topic, kpart)
)`
	journalGapsTable = `CREATE TABLE journal_gaps (
  id          %ID%,
  topic       TEXT NOT NULL,
  kpart       INTEGER NOT NULL,
  from_offset BIGINT NOT NULL,
  to_offset   BIGINT NOT NULL,
  from_ms     BIGINT NOT NULL,
  to_ms       BIGINT NOT NULL,
  kind        TEXT NOT NULL
)`
	journalSegmentsTable = `CREATE TABLE journal_segments (
  id        %ID%,
  name      TEXT NOT NULL,
  first_seq BIGINT NOT NULL,
  last_seq  BIGINT NOT NULL,
  first_ms  BIGINT NOT NULL,
  last_ms   BIGINT NOT NULL,
  entries   BIGINT NOT NULL,
  bytes     BIGINT NOT NULL,
  sha256    TEXT NOT NULL,
  sealed_ms BIGINT NOT NULL
)`
	journalRunsTable = `CREATE TABLE journal_runs (
  id         %ID%,
  started_ms BIGINT NOT NULL,
  alive_ms   BIGINT NOT NULL,
  mode       TEXT NOT NULL
)`
)

// JournalKey is one exact offsets-topic key the journal has seen.
type JournalKey struct {
	ID        int64
	Topic     string
	Connector string
	Key       []byte
}

// JournalEntry is one offsets write as the journal captured it. A nil
// Value is a tombstone. Time is the record's timestamp, Seen when the
// journal stored it.
type JournalEntry struct {
	Seq       int64
	KeyID     int64
	Partition int32
	Offset    int64
	Time      time.Time
	Seen      time.Time
	Value     []byte
	Unaudited bool
	Reason    string
	PlanID    string
}

// JournalGap is a stretch of an offsets topic the journal could not see:
// records compacted away while it was down, or before its first run.
type JournalGap struct {
	Topic      string
	Partition  int32
	FromOffset int64 // first missing offset
	ToOffset   int64 // first offset seen again
	From, To   time.Time
	Kind       string
}

// JournalBatch is what one journal step appends, in one transaction, so a
// killed journal never stores an entry without the position after it.
type JournalBatch struct {
	Entries   []JournalEntry
	Gaps      []JournalGap
	Positions map[string]map[int32]int64 // topic → partition → next offset to read
}

// AddJournalKeys stores newly seen keys in one transaction and returns
// their ids in order.
func (s *Store) AddJournalKeys(ctx context.Context, keys []JournalKey) ([]int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(keys))
	for i, k := range keys {
		if err := tx.QueryRowContext(ctx, "INSERT INTO journal_keys (topic, connector, key_bytes) VALUES ("+s.phs(3)+") RETURNING id",
			k.Topic, k.Connector, k.Key).Scan(&ids[i]); err != nil {
			return nil, fmt.Errorf("journal: store key: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("journal: store keys: %w", err)
	}
	return ids, nil
}

// JournalKeys lists every key the journal has seen, optionally only one
// connector's.
func (s *Store) JournalKeys(ctx context.Context, connector string) ([]JournalKey, error) {
	q, args := "SELECT id, topic, connector, key_bytes FROM journal_keys", []any{}
	if connector != "" {
		q += " WHERE connector = " + s.ph(1)
		args = append(args, connector)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("journal: list keys: %w", err)
	}
	defer rows.Close()
	var out []JournalKey
	for rows.Next() {
		var k JournalKey
		if err := rows.Scan(&k.ID, &k.Topic, &k.Connector, &k.Key); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// entryBatch bounds the rows of one multi-row INSERT.
const entryBatch = 200

// AppendJournal stores a batch atomically.
func (s *Store) AppendJournal(ctx context.Context, b JournalBatch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: begin: %w", err)
	}
	defer tx.Rollback()
	const cols = 9
	for start := 0; start < len(b.Entries); start += entryBatch {
		chunk := b.Entries[start:min(start+entryBatch, len(b.Entries))]
		var sb strings.Builder
		sb.WriteString("INSERT INTO journal_entries (key_id, kpart, koffset, ts_ms, seen_ms, value, unaudited, reason, plan_id) VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, e := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(")
			for c := 0; c < cols; c++ {
				if c > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(s.ph(i*cols + c + 1))
			}
			sb.WriteString(")")
			var value any // a nil []byte must reach the driver as NULL
			if e.Value != nil {
				value = e.Value
			}
			args = append(args, e.KeyID, e.Partition, e.Offset, e.Time.UnixMilli(), e.Seen.UnixMilli(), value,
				boolInt(e.Unaudited), e.Reason, e.PlanID)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("journal: append entries: %w", err)
		}
	}
	for _, g := range b.Gaps {
		if _, err := tx.ExecContext(ctx, "INSERT INTO journal_gaps (topic, kpart, from_offset, to_offset, from_ms, to_ms, kind) VALUES ("+s.phs(7)+")",
			g.Topic, g.Partition, g.FromOffset, g.ToOffset, g.From.UnixMilli(), g.To.UnixMilli(), g.Kind); err != nil {
			return fmt.Errorf("journal: record gap: %w", err)
		}
	}
	for topic, parts := range b.Positions {
		for p, next := range parts {
			res, err := tx.ExecContext(ctx, "UPDATE journal_positions SET next_offset = "+s.ph(1)+" WHERE topic = "+s.ph(2)+" AND kpart = "+s.ph(3), next, topic, p)
			if err != nil {
				return fmt.Errorf("journal: save position: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := tx.ExecContext(ctx, "INSERT INTO journal_positions (topic, kpart, next_offset) VALUES ("+s.phs(3)+")", topic, p, next); err != nil {
					return fmt.Errorf("journal: save position: %w", err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal: commit: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// JournalPositions returns where the journal continues on each topic.
func (s *Store) JournalPositions(ctx context.Context) (map[string]map[int32]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT topic, kpart, next_offset FROM journal_positions")
	if err != nil {
		return nil, fmt.Errorf("journal: read positions: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int32]int64{}
	for rows.Next() {
		var topic string
		var p int32
		var next int64
		if err := rows.Scan(&topic, &p, &next); err != nil {
			return nil, err
		}
		if out[topic] == nil {
			out[topic] = map[int32]int64{}
		}
		out[topic][p] = next
	}
	return out, rows.Err()
}

// JournalQuery selects entries: the keys given (all when empty), with a
// record time in [Since, Until] (zero = open), oldest first.
type JournalQuery struct {
	KeyIDs       []int64
	AfterSeq     int64 // only entries with a larger seq
	Since, Until time.Time
	Limit        int // 0 = no limit
}

// JournalEntries returns the entries q selects in write order.
func (s *Store) JournalEntries(ctx context.Context, q JournalQuery) ([]JournalEntry, error) {
	var where []string
	var args []any
	if len(q.KeyIDs) > 0 {
		ph := make([]string, len(q.KeyIDs))
		for i, id := range q.KeyIDs {
			args = append(args, id)
			ph[i] = s.ph(len(args))
		}
		where = append(where, "key_id IN ("+strings.Join(ph, ", ")+")")
	}
	if q.AfterSeq > 0 {
		args = append(args, q.AfterSeq)
		where = append(where, "seq > "+s.ph(len(args)))
	}
	if !q.Since.IsZero() {
		args = append(args, q.Since.UnixMilli())
		where = append(where, "ts_ms >= "+s.ph(len(args)))
	}
	if !q.Until.IsZero() {
		args = append(args, q.Until.UnixMilli())
		where = append(where, "ts_ms <= "+s.ph(len(args)))
	}
	sql := "SELECT " + entryCols + " FROM journal_entries"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY seq"
	if q.Limit > 0 {
		sql += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: read entries: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// JournalGaps lists the recorded gaps, oldest first.
func (s *Store) JournalGaps(ctx context.Context) ([]JournalGap, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT topic, kpart, from_offset, to_offset, from_ms, to_ms, kind FROM journal_gaps ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("journal: read gaps: %w", err)
	}
	defer rows.Close()
	var out []JournalGap
	for rows.Next() {
		var g JournalGap
		var from, to int64
		if err := rows.Scan(&g.Topic, &g.Partition, &g.FromOffset, &g.ToOffset, &from, &to, &g.Kind); err != nil {
			return nil, err
		}
		g.From, g.To = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// JournalRun is one run of `cdcops offsets journal`; Alive is refreshed
// while it runs, so the time between one run's Alive and the next's
// Started is when nobody was watching.
type JournalRun struct {
	ID      int64
	Started time.Time
	Alive   time.Time
	Mode    string
}

// StartJournalRun records a new run.
func (s *Store) StartJournalRun(ctx context.Context, now time.Time, mode string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, "INSERT INTO journal_runs (started_ms, alive_ms, mode) VALUES ("+s.phs(3)+") RETURNING id",
		now.UnixMilli(), now.UnixMilli(), mode).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("journal: record run: %w", err)
	}
	return id, nil
}

// TouchJournalRun marks run id alive at now.
func (s *Store) TouchJournalRun(ctx context.Context, id int64, now time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE journal_runs SET alive_ms = "+s.ph(1)+" WHERE id = "+s.ph(2), now.UnixMilli(), id)
	return err
}

// JournalRuns lists the runs, oldest first.
func (s *Store) JournalRuns(ctx context.Context) ([]JournalRun, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, started_ms, alive_ms, mode FROM journal_runs ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("journal: read runs: %w", err)
	}
	defer rows.Close()
	var out []JournalRun
	for rows.Next() {
		var r JournalRun
		var a, b int64
		if err := rows.Scan(&r.ID, &a, &b, &r.Mode); err != nil {
			return nil, err
		}
		r.Started, r.Alive = time.UnixMilli(a).UTC(), time.UnixMilli(b).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// PruneJournal deletes entries and gaps whose record time is before
// cutoff, keeping each key's last entry before cutoff: that is its state
// at cutoff, so any instant after cutoff stays answerable.
func (s *Store) PruneJournal(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM journal_entries WHERE ts_ms < "+s.ph(1)+
		" AND seq NOT IN (SELECT MAX(seq) FROM journal_entries WHERE ts_ms < "+s.ph(2)+" GROUP BY key_id)", cutoff.UnixMilli(), cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("journal: prune: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.ExecContext(ctx, "DELETE FROM journal_gaps WHERE to_ms < "+s.ph(1), cutoff.UnixMilli()); err != nil {
		return n, fmt.Errorf("journal: prune gaps: %w", err)
	}
	return n, nil
}

// JournalLatest returns each key's newest entry, by key id.
func (s *Store) JournalLatest(ctx context.Context) (map[int64]JournalEntry, error) {
	return s.entriesByKey(ctx, "latest entries", " WHERE seq IN (SELECT MAX(seq) FROM journal_entries GROUP BY key_id)")
}

// entriesByKey runs a selection of entries (where) that yields at most one
// per key and returns them by key id.
func (s *Store) entriesByKey(ctx context.Context, what, where string, args ...any) (map[int64]JournalEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+entryCols+" FROM journal_entries"+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", what, err)
	}
	defer rows.Close()
	out := map[int64]JournalEntry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out[e.KeyID] = e
	}
	return out, rows.Err()
}

const entryCols = "seq, key_id, kpart, koffset, ts_ms, seen_ms, value, unaudited, reason, plan_id"

type scanner interface{ Scan(dest ...any) error }

func scanEntry(r scanner) (JournalEntry, error) {
	var e JournalEntry
	var ts, seen int64
	var un int
	if err := r.Scan(&e.Seq, &e.KeyID, &e.Partition, &e.Offset, &ts, &seen, &e.Value, &un, &e.Reason, &e.PlanID); err != nil {
		return e, err
	}
	e.Time, e.Seen, e.Unaudited = time.UnixMilli(ts).UTC(), time.UnixMilli(seen).UTC(), un == 1
	return e, nil
}

// JournalAt returns, per key, the last entry written at or before t.
func (s *Store) JournalAt(ctx context.Context, keyIDs []int64, t time.Time) (map[int64]JournalEntry, error) {
	if len(keyIDs) == 0 {
		return map[int64]JournalEntry{}, nil
	}
	args := []any{t.UnixMilli()}
	ph := make([]string, len(keyIDs))
	for i, id := range keyIDs {
		args = append(args, id)
		ph[i] = s.ph(i + 2)
	}
	return s.entriesByKey(ctx, "state at "+t.UTC().Format(time.RFC3339), " WHERE seq IN (SELECT MAX(seq) FROM journal_entries WHERE ts_ms <= "+
		s.ph(1)+" AND key_id IN ("+strings.Join(ph, ", ")+") GROUP BY key_id)", args...)
}

// JournalNewest returns the record time of the newest entry stored for a
// topic partition (zero when none).
func (s *Store) JournalNewest(ctx context.Context, topic string, partition int32) (time.Time, error) {
	var ms *int64
	err := s.db.QueryRowContext(ctx, "SELECT MAX(e.ts_ms) FROM journal_entries e JOIN journal_keys k ON k.id = e.key_id WHERE k.topic = "+
		s.ph(1)+" AND e.kpart = "+s.ph(2), topic, partition).Scan(&ms)
	if err != nil || ms == nil {
		return time.Time{}, err
	}
	return time.UnixMilli(*ms).UTC(), nil
}

// JournalSegment is a sealed stretch of entries shipped to the vault.
type JournalSegment struct {
	Name              string
	FirstSeq, LastSeq int64
	First, Last       time.Time // record times of its first and last entries
	Entries, Bytes    int64
	SHA256            string
	Sealed            time.Time
}

// AddJournalSegment records a shipped segment.
func (s *Store) AddJournalSegment(ctx context.Context, g JournalSegment) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO journal_segments (name, first_seq, last_seq, first_ms, last_ms, entries, bytes, sha256, sealed_ms) VALUES ("+s.phs(9)+")",
		g.Name, g.FirstSeq, g.LastSeq, g.First.UnixMilli(), g.Last.UnixMilli(), g.Entries, g.Bytes, g.SHA256, g.Sealed.UnixMilli())
	if err != nil {
		return fmt.Errorf("journal: record segment: %w", err)
	}
	return nil
}

// JournalSegments lists the shipped segments, oldest first.
func (s *Store) JournalSegments(ctx context.Context) ([]JournalSegment, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, first_seq, last_seq, first_ms, last_ms, entries, bytes, sha256, sealed_ms FROM journal_segments ORDER BY last_seq")
	if err != nil {
		return nil, fmt.Errorf("journal: read segments: %w", err)
	}
	defer rows.Close()
	var out []JournalSegment
	for rows.Next() {
		var g JournalSegment
		var a, b, c int64
		if err := rows.Scan(&g.Name, &g.FirstSeq, &g.LastSeq, &a, &b, &g.Entries, &g.Bytes, &g.SHA256, &c); err != nil {
			return nil, err
		}
		g.First, g.Last, g.Sealed = time.UnixMilli(a).UTC(), time.UnixMilli(b).UTC(), time.UnixMilli(c).UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// DeleteJournalSegment forgets a segment removed from the vault.
func (s *Store) DeleteJournalSegment(ctx context.Context, name string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM journal_segments WHERE name = "+s.ph(1), name)
	return err
}

// JournalMaxSeq is the seq of the newest entry (0 when empty).
func (s *Store) JournalMaxSeq(ctx context.Context) (int64, error) {
	var n *int64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(seq) FROM journal_entries").Scan(&n); err != nil || n == nil {
		return 0, err
	}
	return *n, nil
}
