package sqlpipe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// LoadOptions says what load to put on source tables.
type LoadOptions struct {
	Tables   []string
	Rate     int           // changes per second; 0 = as fast as possible
	Duration time.Duration // stop after this long (0 = no limit)
	Changes  int           // stop after this many changes (0 = no limit)
	Seed     uint64        // same seed + same starting rows = same changes
	// Batch is how many changes go in one transaction (default: what the
	// rate allows per 50 ms, or 200 when unlimited).
	Batch int
	// InsertOnly makes every change an insert of a new row.
	InsertOnly bool
}

// LoadResult says what the load did.
type LoadResult struct {
	Inserts   int           `json:"inserts"`
	Updates   int           `json:"updates"`
	Deletes   int           `json:"deletes"`
	Changes   int           `json:"changes"`
	Elapsed   time.Duration `json:"-"`
	ElapsedMS int64         `json:"elapsed_ms"` // docs/json.md: durations are *_ms
	Seed      uint64        `json:"seed"`
}

type loadColumn struct {
	name string
	kind byte // i integer, s string, b bool, t timestamp
}

type loadTable struct {
	name    string
	key     string
	cols    []loadColumn // non-key columns
	live    []int64      // keys present, for updates and deletes
	livePos map[int64]int
	nextID  int64
}

// Load runs inserts, updates and deletes against tables. Every table
// needs a single integer primary key.
func Load(ctx context.Context, db *sqlconn.DB, o LoadOptions) (LoadResult, error) {
	res := LoadResult{Seed: o.Seed}
	if len(o.Tables) == 0 {
		return res, cdcops.Errorf(cdcops.EINVALID, "pass --table customers (or another table)", "no table to load")
	}
	if o.Duration <= 0 && o.Changes <= 0 {
		return res, cdcops.Errorf(cdcops.EINVALID, "pass --duration 10s or a number of changes", "load needs a duration or a change count")
	}
	tables := make([]*loadTable, 0, len(o.Tables))
	for _, name := range o.Tables {
		lt, err := prepareLoadTable(ctx, db, name)
		if err != nil {
			return res, err
		}
		tables = append(tables, lt)
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 200
		if o.Rate > 0 {
			batch = max(1, o.Rate/20)
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	start := time.Now()
	for {
		if o.Changes > 0 && res.Changes >= o.Changes {
			break
		}
		if o.Duration > 0 && time.Since(start) >= o.Duration {
			break
		}
		n := batch
		if o.Changes > 0 {
			n = min(n, o.Changes-res.Changes)
		}
		if err := loadBatch(ctx, db, rng, tables, n, o.InsertOnly, &res); err != nil {
			return res, err
		}
		if o.Rate > 0 {
			due := start.Add(time.Duration(float64(res.Changes) / float64(o.Rate) * float64(time.Second)))
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Until(due)):
			}
		} else if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	res.Elapsed = time.Since(start)
	res.ElapsedMS = res.Elapsed.Milliseconds()
	return res, nil
}

func prepareLoadTable(ctx context.Context, db *sqlconn.DB, name string) (*loadTable, error) {
	ti, err := describe(ctx, db, name)
	if err != nil {
		return nil, err
	}
	if len(ti.Key) != 1 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "load a table keyed by one integer column", "table %s has a composite primary key", name)
	}
	types, err := columnTypes(ctx, db, name)
	if err != nil {
		return nil, err
	}
	lt := &loadTable{name: name, key: ti.Key[0], livePos: map[int64]int{}}
	if k := kindOf(types[lt.key]); k != 'i' {
		return nil, cdcops.Errorf(cdcops.EINVALID, "load a table keyed by one integer column", "table %s's key %s is %s, not an integer", name, lt.key, types[lt.key])
	}
	for _, c := range ti.Columns {
		if c != lt.key {
			lt.cols = append(lt.cols, loadColumn{name: c, kind: kindOf(types[c])})
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT "+quote(db.Engine, lt.key)+" FROM "+quote(db.Engine, name))
	if err != nil {
		return nil, fmt.Errorf("read keys of %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read keys of %s: %w", name, err)
		}
		lt.live = append(lt.live, k)
		lt.nextID = max(lt.nextID, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Keys in a fixed order so a seed replays the same choices.
	sort.Slice(lt.live, func(i, j int) bool { return lt.live[i] < lt.live[j] })
	for i, k := range lt.live {
		lt.livePos[k] = i
	}
	lt.nextID++
	return lt, nil
}

func columnTypes(ctx context.Context, db *sqlconn.DB, table string) (map[string]string, error) {
	var q string
	switch db.Engine {
	case sqlconn.Postgres:
		q = "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
	case sqlconn.MySQL:
		q = "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?"
	default:
		q = "SELECT name, type FROM pragma_table_info(?)"
	}
	rows, err := db.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("read column types of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, err
		}
		out[n] = strings.ToUpper(t)
	}
	return out, rows.Err()
}

func kindOf(sqlType string) byte {
	switch {
	case strings.Contains(sqlType, "INT"):
		return 'i'
	case strings.Contains(sqlType, "BOOL"):
		return 'b'
	case strings.Contains(sqlType, "DATE"), strings.Contains(sqlType, "TIME"):
		return 't'
	}
	return 's'
}

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"}

func (c loadColumn) value(rng *rand.Rand) any {
	switch c.kind {
	case 'i':
		return rng.Int64N(100000)
	case 'b':
		return rng.IntN(2) == 1
	case 't':
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(365*24*3600)) * time.Second).Format("2006-01-02 15:04:05")
	}
	if c.name == "tier" || c.name == "status" {
		return []string{"new", "paid", "shipped", "gold", "silver"}[rng.IntN(5)]
	}
	return fmt.Sprintf("%s-%s-%d", c.name, words[rng.IntN(len(words))], rng.IntN(10000))
}

func loadBatch(ctx context.Context, db *sqlconn.DB, rng *rand.Rand, tables []*loadTable, n int, insertOnly bool, res *LoadResult) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("load: begin: %w", err)
	}
	defer tx.Rollback()
	e := db.Engine
	for i := 0; i < n; i++ {
		lt := tables[rng.IntN(len(tables))]
		r := rng.IntN(100)
		var q string
		var args []any
		switch {
		case len(lt.live) == 0 || r < 45 || insertOnly:
			id := lt.nextID
			lt.nextID++
			names, marks := []string{quote(e, lt.key)}, []string{ph(e, 1)}
			args = []any{id}
			for j, c := range lt.cols {
				names, marks = append(names, quote(e, c.name)), append(marks, ph(e, j+2))
				args = append(args, c.value(rng))
			}
			q = "INSERT INTO " + quote(e, lt.name) + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
			lt.add(id)
			res.Inserts++
		case r < 85 && len(lt.cols) > 0:
			id := lt.live[rng.IntN(len(lt.live))]
			c := lt.cols[rng.IntN(len(lt.cols))]
			q = "UPDATE " + quote(e, lt.name) + " SET " + quote(e, c.name) + " = " + ph(e, 1) + " WHERE " + quote(e, lt.key) + " = " + ph(e, 2)
			args = []any{c.value(rng), id}
			res.Updates++
		default:
			id := lt.live[rng.IntN(len(lt.live))]
			q = "DELETE FROM " + quote(e, lt.name) + " WHERE " + quote(e, lt.key) + " = " + ph(e, 1)
			args = []any{id}
			lt.remove(id)
			res.Deletes++
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("load %s: %w", lt.name, err)
		}
		res.Changes++
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("load: commit: %w", err)
	}
	return nil
}

func (lt *loadTable) add(id int64) {
	lt.livePos[id] = len(lt.live)
	lt.live = append(lt.live, id)
}

func (lt *loadTable) remove(id int64) {
	i := lt.livePos[id]
	last := lt.live[len(lt.live)-1]
	lt.live[i] = last
	lt.livePos[last] = i
	lt.live = lt.live[:len(lt.live)-1]
	delete(lt.livePos, id)
}
