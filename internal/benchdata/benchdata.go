package benchdata

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/cdcops/cdcops/sqlconn"
)

// Row is one generated row; Score nil means NULL.
type Row struct {
	ID        int64
	Name      string
	Email     string
	Cents     int64 // amount in hundredths
	CreatedAt time.Time
	Active    bool
	Score     *int64
}

// Key of the i-th row (i from 1): even numbers, so extra sink rows can sit
// between them, scattered.
func Key(i int64) int64 { return 2 * i }

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Gen returns row i (deterministic).
func Gen(i int64) Row {
	r := rand.New(rand.NewPCG(uint64(i), 0x9e3779b97f4a7c15))
	id := Key(i)
	row := Row{
		ID:        id,
		Name:      "customer-" + strconv.FormatInt(id, 36) + "-" + strconv.FormatUint(r.Uint64()%100000, 10),
		Email:     "user" + strconv.FormatInt(id, 10) + "@example-" + strconv.FormatUint(r.Uint64()%1000, 10) + ".com",
		Cents:     int64(r.Uint64()%100000000) - 10000000,
		CreatedAt: epoch.Add(time.Duration(r.Uint64()%(365*24*3600*1e6)) * time.Microsecond),
		Active:    r.Uint64()%2 == 0,
	}
	if i%7 != 0 {
		s := int64(r.Uint64() % 1000)
		row.Score = &s
	}
	return row
}

// Diff is one injected difference: Kind is missing, extra or changed.
type Diff struct {
	Key  int64
	Kind string
}

// Diffs returns n scattered differences over an rows-row table: a third
// deleted from the sink, a third added to it (odd keys), a third changed.
func Diffs(rows int64, n int) []Diff {
	r := rand.New(rand.NewPCG(42, uint64(rows)))
	seen := map[int64]bool{}
	var out []Diff
	for len(out) < n {
		i := r.Int64N(rows) + 1
		if seen[i] {
			continue
		}
		seen[i] = true
		switch len(out) % 3 {
		case 0:
			out = append(out, Diff{Key(i), "missing"})
		case 1:
			out = append(out, Diff{Key(i) + 1, "extra"})
		default:
			out = append(out, Diff{Key(i), "changed"})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}

// sinkRows yields the rows of the sink variant: generated rows with diffs
// applied, in key order.
func each(rows int64, diffs []Diff, fn func(Row) error) error {
	byKey := map[int64]string{}
	for _, d := range diffs {
		byKey[d.Key] = d.Kind
	}
	for i := int64(1); i <= rows; i++ {
		row := Gen(i)
		switch byKey[row.ID] {
		case "missing":
			continue
		case "changed":
			row.Cents += 1
			row.Name += "~"
		}
		if err := fn(row); err != nil {
			return err
		}
		if byKey[row.ID+1] == "extra" {
			x := Gen(i)
			x.ID++
			x.Email = "extra-" + x.Email
			if err := fn(x); err != nil {
				return err
			}
		}
	}
	return nil
}

// Exists reports whether table holds a completed load of rows rows
// (recorded in cdcops_bench_meta).
func Exists(ctx context.Context, db *sqlconn.DB, table string, rows int64) bool {
	var n int64
	q := "SELECT rows_loaded FROM cdcops_bench_meta WHERE table_name = ?"
	if db.Engine == sqlconn.Postgres {
		q = "SELECT rows_loaded FROM cdcops_bench_meta WHERE table_name = $1"
	}
	err := db.QueryRowContext(ctx, q, table).Scan(&n)
	return err == nil && n == rows
}

func markDone(ctx context.Context, db *sqlconn.DB, table string, rows int64) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS cdcops_bench_meta (table_name varchar(100) PRIMARY KEY, rows_loaded bigint)"); err != nil {
		return err
	}
	q := "REPLACE INTO cdcops_bench_meta VALUES (?, ?)"
	if db.Engine == sqlconn.Postgres {
		q = "INSERT INTO cdcops_bench_meta VALUES ($1, $2) ON CONFLICT (table_name) DO UPDATE SET rows_loaded = EXCLUDED.rows_loaded"
	}
	_, err := db.ExecContext(ctx, q, table, rows)
	return err
}

// Load creates table (dropping an old one) and loads rows rows into it,
// with diffs applied when diffs is non-nil.
func Load(ctx context.Context, db *sqlconn.DB, dsn, table string, rows int64, diffs []Diff) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS cdcops_bench_meta (table_name varchar(100) PRIMARY KEY, rows_loaded bigint)"); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		return err
	}
	switch db.Engine {
	case sqlconn.Postgres:
		if err := loadPostgres(ctx, db, dsn, table, rows, diffs); err != nil {
			return err
		}
	case sqlconn.MySQL:
		if err := loadMySQL(ctx, db, table, rows, diffs); err != nil {
			return err
		}
	default:
		return fmt.Errorf("benchdata: engine %s not supported", db.Engine)
	}
	return markDone(ctx, db, table, rows)
}

func loadPostgres(ctx context.Context, db *sqlconn.DB, dsn, table string, rows int64, diffs []Diff) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+` (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL,
  amount numeric(12,2) NOT NULL, created_at timestamp(6) NOT NULL, active boolean NOT NULL, score int)`); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ch := make(chan []any, 4096)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		errc <- each(rows, diffs, func(r Row) error {
			var score any
			if r.Score != nil {
				score = int32(*r.Score)
			}
			amount := strconv.FormatInt(r.Cents/100, 10)
			c := r.Cents % 100
			if c < 0 {
				c = -c
				if r.Cents > -100 {
					amount = "-0"
				}
			}
			amount += fmt.Sprintf(".%02d", c)
			select {
			case ch <- []any{r.ID, r.Name, r.Email, amount, r.CreatedAt, r.Active, score}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		v, ok := <-ch
		if !ok {
			return nil, <-errc
		}
		return v, nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "name", "email", "amount", "created_at", "active", "score"}, src); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM ANALYZE "+table)
	return err
}

var readerSeq atomic.Int64

func loadMySQL(ctx context.Context, db *sqlconn.DB, table string, rows int64, diffs []Diff) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+` (id bigint PRIMARY KEY, name varchar(64) NOT NULL, email varchar(128) NOT NULL,
  amount decimal(12,2) NOT NULL, created_at datetime(6) NOT NULL, active tinyint(1) NOT NULL, score int NULL) ENGINE=InnoDB`); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 256)
		err := each(rows, diffs, func(r Row) error {
			buf = buf[:0]
			buf = strconv.AppendInt(buf, r.ID, 10)
			buf = append(buf, '\t')
			buf = append(buf, r.Name...)
			buf = append(buf, '\t')
			buf = append(buf, r.Email...)
			buf = append(buf, '\t')
			neg := r.Cents < 0
			c := r.Cents
			if neg {
				c = -c
				buf = append(buf, '-')
			}
			buf = strconv.AppendInt(buf, c/100, 10)
			buf = append(buf, fmt.Sprintf(".%02d", c%100)...)
			buf = append(buf, '\t')
			buf = r.CreatedAt.AppendFormat(buf, "2006-01-02 15:04:05.000000")
			buf = append(buf, '\t')
			if r.Active {
				buf = append(buf, '1')
			} else {
				buf = append(buf, '0')
			}
			buf = append(buf, '\t')
			if r.Score == nil {
				buf = append(buf, `\N`...)
			} else {
				buf = strconv.AppendInt(buf, *r.Score, 10)
			}
			buf = append(buf, '\n')
			_, err := pw.Write(buf)
			return err
		})
		pw.CloseWithError(err)
	}()
	name := "cdcops_bench_" + strconv.FormatInt(readerSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return pr })
	defer mysql.DeregisterReaderHandler(name)
	if _, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE "+table+
		" FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (id, name, email, amount, created_at, active, score)"); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "ANALYZE TABLE "+table)
	return err
}
