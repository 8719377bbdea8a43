package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/lab/realstack"
)

// realLab is what `lab up --real` adds to lab up's output (-o json: the
// "real" object): versions, the private database and the Debezium pipeline.
type realLab struct {
	ConnectVersion string              `json:"connect_version"`
	DB             string              `json:"db"`
	DatabaseDSN    string              `json:"database_dsn"` // the private server's admin DSN, redacted
	Pipeline       *realstack.Pipeline `json:"pipeline"`
	Logs           string              `json:"logs"` // one subdirectory per server, each with its log
}

// realDB is --db under --real: postgres or mariadb; lab up's default
// ("sqlite", for the embedded pipeline) means postgres here.
func realDB(db string) (string, error) {
	switch db {
	case "", "sqlite", "postgres":
		return "postgres", nil
	case "mariadb", "mysql":
		return "mariadb", nil
	}
	return "", usageError{cdcops.Errorf(cdcops.EINVALID, "use --db postgres or --db mariadb with --real",
		"lab up --real: --db %q is not a private database the real stack can start", db)}
}

// realPort reads a --kafka / --connect address: 127.0.0.1:PORT, port 0 = free.
func realPort(flag, addr string) (int, error) {
	host, p, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(addr, "http://"), "/"))
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || port < 0 || port > 65535 || (host != "127.0.0.1" && host != "localhost") {
		return 0, usageError{cdcops.Errorf(cdcops.EINVALID, "use --"+flag+" 127.0.0.1:PORT (0 = a free port)",
			"lab up --real: --%s %q: the real stack only listens on 127.0.0.1", flag, addr)}
	}
	return port, nil
}

// runLabUpReal is `lab up --real`: a real Kafka 4.4.0 broker, Connect
// 4.4.0 worker, private database and Debezium source + JDBC sink, printed
// like lab up and served until ctx ends (Ctrl-C), then all stopped.
func runLabUpReal(ctx context.Context, g *globals, o labUpOptions) error {
	if o.pipeline.enabled || (o.pipeline.sinkDB != "" && o.pipeline.sinkDB != "sqlite") || o.pipeline.dlq != "" {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "drop --pipeline, --sink-db and --dlq: --real always creates its Debezium pipeline",
			"lab up --real: --pipeline, --sink-db and --dlq are for the embedded lab")}
	}
	db, err := realDB(o.pipeline.db)
	if err != nil {
		return err
	}
	kport, err := realPort("kafka", o.kafka)
	if err != nil {
		return err
	}
	cport, err := realPort("connect", o.connect)
	if err != nil {
		return err
	}
	var cache realstack.Cache
	if g.getenv != nil {
		cache = realstack.Cache(g.getenv("CDCOPS_REALSTACK_CACHE"))
	}
	if cache == "" {
		if cache, err = realstack.DefaultCache(); err != nil {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "set CDCOPS_REALSTACK_CACHE to a directory", "lab up --real: %w", err)
		}
	}
	dir := o.dir
	if dir == "" {
		// Database servers run as postgres/mysql and must reach the dir.
		if dir, err = os.MkdirTemp("", "cdcops-lab-real-"); err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "pass --dir", "lab up --real: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	s, err := realstack.StartStack(ctx, realstack.StackOptions{Cache: cache, Dir: dir, DB: db,
		KafkaPort: kport, ConnectPort: cport, Progress: g.stderr})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "see the log named above; free ports: --kafka 127.0.0.1:0 --connect 127.0.0.1:0; jars: "+realstack.FetchHint,
			"lab up --real: %w", err)
	}
	defer s.Close()
	p := *s.Pipeline
	p.SourceDSN, p.SinkDSN = cdcops.RedactDSN(p.SourceDSN), cdcops.RedactDSN(p.SinkDSN)
	info := &realLab{ConnectVersion: s.Worker.Version(), DB: db, Pipeline: &p, Logs: dir}
	if s.Postgres != nil {
		info.DatabaseDSN = cdcops.RedactDSN(s.Postgres.DSN())
	} else {
		info.DatabaseDSN = cdcops.RedactDSN(s.MariaDB.DSN())
	}
	addrs := labAddrs{Kafka: s.Broker.Addr(), Connect: s.Worker.URL(), Dir: o.dir, Real: info}
	err = g.print(addrs, func(w io.Writer) {
		fmt.Fprintf(w, "kafka\t%s (Kafka 4.4.0, KRaft)\n", addrs.Kafka)
		fmt.Fprintf(w, "connect\t%s (Kafka Connect %s)\n", addrs.Connect, info.ConnectVersion)
		fmt.Fprintf(w, "%s\t%s\n", db, info.DatabaseDSN)
		fmt.Fprintf(w, "source db\t%s\nsink db\t%s\n", p.SourceDSN, p.SinkDSN)
		fmt.Fprintf(w, "source connector\t%s (Debezium)\nsink connector\t%s (Debezium JDBC)\ntopic\t%s\n", p.Source, p.Sink, p.Topic)
		fmt.Fprintf(w, "logs\t%s\n", dir)
		fmt.Fprintf(w, "try\tcdcops lab load --db %s --table %s --rate 50 --duration 30s\n", p.SourceDSN, p.Table)
		fmt.Fprintf(w, "try\tcdcops offsets show %s --connect %s --bootstrap %s\n", p.Source, addrs.Connect, addrs.Kafka)
	})
	if err != nil {
		return err
	}
	if o.readyReal != nil {
		o.readyReal(s)
	}
	<-ctx.Done()
	if g.log != nil {
		g.log.Info("real lab stopping")
	}
	return s.Close()
}
