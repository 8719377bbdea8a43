package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

type labLoadOptions struct {
	db       string
	tables   []string
	rate     int
	duration time.Duration
	changes  int
	seed     uint64
	seedSet  bool
}

func (o *labLoadOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.db, "db", "", "source database DSN: sqlite://PATH, postgres://…, mysql://…")
	fs.StringSliceVar(&o.tables, "table", nil, "table(s) to change (repeat or comma-separate); each needs one integer primary key")
	fs.IntVar(&o.rate, "rate", 100, "changes per second (0 = as fast as possible)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run (0 = until --changes)")
	fs.IntVar(&o.changes, "changes", 0, "stop after this many changes (0 = no limit)")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed; the same seed on the same starting rows makes the same changes (default: random, printed)")
}

func newLabLoadCmd(g *globals) *cobra.Command {
	o := &labLoadOptions{}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Put a reproducible mix of inserts, updates and deletes on lab source tables",
		Long: `load inserts (45%), updates (40%) and deletes (15%) rows of the given tables
at --rate changes per second for --duration. The same --seed on the same starting
rows makes exactly the same changes, so a drill can be replayed.`,
		Example: `  cdcops lab load --db sqlite://.cdcops/lab/source.db --table customers --rate 200 --duration 30s
  cdcops lab load --db postgres://postgres@127.0.0.1:5432/shop --table customers,orders --changes 10000 --rate 0 --seed 42 -o json`,
		Args: exactArgs(0, "no arguments (use --db and --table)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			return runLabLoad(cmd.Context(), g, o)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func runLabLoad(ctx context.Context, g *globals, o *labLoadOptions) error {
	if o.db == "" {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "pass --db sqlite://PATH (or a postgres:// / mysql:// DSN)", "lab load needs --db")}
	}
	if len(o.tables) == 0 {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "pass --table customers", "lab load needs --table")}
	}
	if o.rate < 0 || o.duration < 0 || o.changes < 0 {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "use --rate, --duration and --changes of 0 or more", "negative load setting")}
	}
	if !o.seedSet {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:])
	}
	db, err := sqlconn.Open(ctx, o.db)
	if err != nil {
		return err
	}
	defer db.Close()
	g.log.Info("lab load", "db", db.Name, "tables", o.tables, "rate", o.rate, "duration", o.duration, "seed", o.seed)
	stop := g.startProgress(fmt.Sprintf("lab load: %s at %d changes/s", strings.Join(o.tables, ","), o.rate), nil)
	res, err := sqlpipe.Load(ctx, db, sqlpipe.LoadOptions{Tables: o.tables, Rate: o.rate, Duration: o.duration, Changes: o.changes, Seed: o.seed})
	stop()
	if err != nil {
		return err
	}
	out := struct {
		DB     string   `json:"db"`
		Tables []string `json:"tables"`
		sqlpipe.LoadResult
	}{db.Name, o.tables, res}
	return g.print(out, func(w io.Writer) {
		fmt.Fprintf(w, "changes\tinserts\tupdates\tdeletes\tseconds\tseed\n")
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%.2f\t%d\n", res.Changes, res.Inserts, res.Updates, res.Deletes, res.Elapsed.Seconds(), res.Seed)
	})
}
