package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
)

// probeCase is one bad input: the command line, the exit code it must
// give, and optionally environment and words the error must contain.
type probeCase struct {
	name string
	args []string
	exit int
	env  map[string]string
	want string // in the Error: line, case-insensitive ("" = any)
	json bool   // -o json: stdout must be the error object
}

// probeEnv is the world the probe runs against: two SQLite databases, pairs
// and config files, a vault and a lab worker with one running connector.
type probeEnv struct {
	dir, src, dst, state, vault, connect, kafka string
}

func newProbeEnv(t *testing.T) *probeEnv {
	dir := t.TempDir()
	e := &probeEnv{dir: dir, src: "sqlite://" + filepath.Join(dir, "src.db"), dst: "sqlite://" + filepath.Join(dir, "dst.db"),
		state: "sqlite://" + filepath.Join(dir, "state", "state.db"), vault: "file://" + filepath.Join(dir, "vault")}
	for _, dsn := range []string{e.src, e.dst} {
		db := testenv.Open(t, dsn)
		for _, q := range []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, v TEXT)", "INSERT INTO t VALUES (1,'a@x','a'),(2,'b@x','b')"} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
	}
	files := map[string]string{
		"empty.yaml":        "",
		"nopairs.yaml":      "source: " + e.src + "\nsink: " + e.dst + "\n",
		"unknownkey.yaml":   "source: " + e.src + "\nsink: " + e.dst + "\npairs:\n  - table: t\n    colums: [id]\n",
		"badyaml.yaml":      "pairs: [ {table: t\n",
		"deftable.yaml":     "source: " + e.src + "\nsink: " + e.dst + "\ndefaults:\n  table: t\npairs:\n  - table: t\n",
		"notable.yaml":      "source: " + e.src + "\nsink: " + e.dst + "\npairs:\n  - sink_table: t\n",
		"nodsn.yaml":        "pairs:\n  - table: t\n",
		"badmode.yaml":      "source: " + e.src + "\nsink: " + e.dst + "\npairs:\n  - table: t\n    mode: fast\n",
		"negmax.yaml":       "source: " + e.src + "\nsink: " + e.dst + "\npairs:\n  - table: t\n    max_diffs: -5\n",
		"pairs.yaml":        "source: " + e.src + "\nsink: " + e.dst + "\npairs:\n  - table: t\n",
		"cfg-unknown.yaml":  "conect: http://x\n",
		"cfg-bad.yaml":      "clusters: [\n",
		"cfg-ok.yaml":       "connect: http://127.0.0.1:1\n",
		"notsqlite.db":      "this is not a database",
		"vault/placeholder": "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, "vault", "placeholder"))
	l := testenv.Lab(t)
	e.connect, e.kafka = l.ConnectURL(), l.KafkaAddr()
	c := connect.New(e.connect, connect.WithPollInterval(50*time.Millisecond))
	createTestConnector(t, c, "probe-src")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.WaitFor(ctx, "probe-src", connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *probeEnv) f(name string) string { return filepath.Join(e.dir, name) }

// fingerprint is every file under dir with its content hash, plus the lab's
// connectors and their states: what "nothing changed" compares.
func (e *probeEnv) fingerprint(t *testing.T, cwd string) string {
	var lines []string
	for _, root := range []string{e.dir, cwd} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if strings.HasSuffix(p, "-shm") || strings.HasSuffix(p, "-wal") {
				return nil // SQLite's own side files come and go with readers
			}
			data, _ := os.ReadFile(p)
			sum := sha256.Sum256(data)
			lines = append(lines, p+" "+hex.EncodeToString(sum[:8]))
			return nil
		})
	}
	resp, err := http.Get(e.connect + "/connectors?expand=status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st map[string]struct {
		Status struct {
			Connector struct{ State string } `json:"connector"`
		} `json:"status"`
	}
	_ = json.Unmarshal(body, &st)
	for name, s := range st {
		lines = append(lines, "connector "+name+" "+s.Status.Connector.State)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func probeCases(e *probeEnv) []probeCase {
	rec := func(extra ...string) []string {
		return append([]string{"--state", e.state, "reconcile", "--source", e.src, "--sink", e.dst, "--table", "t"}, extra...)
	}
	con := func(extra ...string) []string { return append([]string{"--connect", e.connect}, extra...) }
	off := func(extra ...string) []string {
		return append([]string{"--connect", e.connect, "--bootstrap", e.kafka, "--vault", e.vault}, extra...)
	}
	snap := func(extra ...string) []string { return append([]string{"--vault", e.vault}, extra...) }
	cs := []probeCase{
		// out-of-range numbers and durations, every numeric flag
		{name: "max-diffs negative", args: rec("--max-diffs", "-5"), exit: 2, want: "max-diffs"},
		{name: "stop-after negative", args: rec("--stop-after", "-1"), exit: 2, want: "stop-after"},
		{name: "reconcile timeout negative", args: rec("--timeout", "-1s"), exit: 2, want: "timeout"},
		{name: "settle negative", args: rec("--settle", "-1s"), exit: 2, want: "settle"},
		{name: "float-digits zero", args: rec("--float-digits", "0"), exit: 2, want: "float-digits"},
		{name: "float-digits too many", args: rec("--float-digits", "40"), exit: 2, want: "float-digits"},
		{name: "float-tolerance negative", args: rec("--float-tolerance", "-0.5"), exit: 2, want: "float-tolerance"},
		{name: "history limit negative", args: []string{"--state", e.state, "reconcile", "history", "--limit", "-1"}, exit: 2, want: "limit"},
		{name: "prune keep-days negative", args: snap("snapshots", "prune", "--keep-days", "-1"), exit: 2, want: "keep-days"},
		{name: "prune keep-last negative", args: snap("snapshots", "prune", "--keep-last", "-3"), exit: 2, want: "keep-last"},
		{name: "load rate negative", args: []string{"lab", "load", "--db", e.src, "--table", "t", "--rate", "-1"}, exit: 2, want: "rate"},
		{name: "load duration negative", args: []string{"lab", "load", "--db", e.src, "--table", "t", "--duration", "-5s"}, exit: 2, want: "duration"},
		{name: "load changes negative", args: []string{"lab", "load", "--db", e.src, "--table", "t", "--changes", "-10"}, exit: 2, want: "changes"},
		{name: "fault count negative", args: con("lab", "fault", "sink-drop", "--count", "-1"), exit: 2, want: "count"},
		{name: "fault wait negative", args: con("lab", "fault", "sink-drop", "--wait", "-1s"), exit: 2, want: "wait"},
		{name: "stop timeout negative", args: con("connectors", "stop", "probe-src", "--timeout", "-1s"), exit: 2, want: "timeout"},
		{name: "pause timeout negative", args: con("connectors", "pause", "probe-src", "--timeout", "-1s"), exit: 2, want: "timeout"},
		{name: "resume timeout negative", args: con("connectors", "resume", "probe-src", "--timeout", "-2m"), exit: 2, want: "timeout"},
		{name: "restart timeout negative", args: con("connectors", "restart", "probe-src", "--timeout", "-1s"), exit: 2, want: "timeout"},
		{name: "delete timeout negative", args: con("connectors", "delete", "probe-src", "--timeout", "-1s"), exit: 2, want: "timeout"},
		{name: "demo timeout negative", args: []string{"lab", "demo", "--timeout", "-1s"}, exit: 2, want: "timeout"},
		{name: "max-diffs from env negative", args: rec(), env: map[string]string{"CDCOPS_MAX_DIFFS": "-5"}, exit: 2, want: "max-diffs"},
		// values that do not parse
		{name: "max-diffs not a number", args: rec("--max-diffs", "many"), exit: 2, want: "max-diffs"},
		{name: "timeout without unit", args: rec("--timeout", "5"), exit: 2, want: "timeout"},
		{name: "settle garbage", args: rec("--settle", "soon"), exit: 2, want: "settle"},
		{name: "rate not a number", args: []string{"lab", "load", "--db", e.src, "--table", "t", "--rate", "fast"}, exit: 2, want: "rate"},
		{name: "seed negative", args: []string{"lab", "load", "--db", e.src, "--table", "t", "--seed", "-1"}, exit: 2, want: "seed"},
		{name: "env timeout garbage", args: rec(), env: map[string]string{"CDCOPS_TIMEOUT": "forever"}, exit: 2, want: "timeout"},
		// conflicting flags
		{name: "columns and exclude the same", args: rec("--columns", "id,v", "--exclude-columns", "v"), exit: 2, want: "exclude"},
		{name: "columns and exclude differ in case", args: rec("--columns", "id,V", "--exclude-columns", "v"), exit: 2, want: "exclude"},
		{name: "pairs with table", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("pairs.yaml"), "--table", "t"}, exit: 2, want: "table"},
		{name: "pairs with sink-table", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("pairs.yaml"), "--sink-table", "t"}, exit: 2, want: "sink-table"},
		{name: "pairs csv diff file", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("pairs.yaml"), "--diff-file", e.f("d.csv")}, exit: 2, want: "jsonl"},
		{name: "same column normalized twice", args: rec("--normalize", "email:trim", "--normalize", "EMAIL:casefold"), exit: 2, want: "email"},
		// unknown commands
		{name: "offsets discover", args: []string{"offsets", "discover"}, exit: 2, want: "unknown command"},
		{name: "snapshots lst", args: []string{"snapshots", "lst"}, exit: 2, want: "list"},
		{name: "connectors lst", args: []string{"connectors", "lst"}, exit: 2, want: "list"},
		{name: "connectors stat", args: []string{"connectors", "stat", "x"}, exit: 2, want: "unknown command"},
		{name: "lab upp", args: []string{"lab", "upp"}, exit: 2, want: "up"},
		{name: "lab fault unknown kind", args: con("lab", "fault", "meteor"), exit: 2, want: "meteor"},
		{name: "root unknown", args: []string{"reconcil"}, exit: 2, want: "unknown command"},
		{name: "reconcile history typo", args: []string{"reconcile", "histroy"}, exit: 2},
		{name: "group typo", args: []string{"snapshotz", "list"}, exit: 2, want: "unknown command"},
		// unknown flags and arguments
		{name: "unknown flag reconcile", args: rec("--tabel", "t"), exit: 2, want: "tabel"},
		{name: "unknown flag list", args: con("connectors", "list", "--al"), exit: 2, want: "al"},
		{name: "unknown shorthand", args: []string{"snapshots", "list", "-z"}, exit: 2, want: "z"},
		{name: "verify --all", args: snap("snapshots", "verify", "--all"), exit: 2, want: "all"},
		{name: "status without name", args: con("connectors", "status"), exit: 2},
		{name: "stop two names", args: con("connectors", "stop", "a", "b"), exit: 2},
		{name: "show without id", args: snap("snapshots", "show"), exit: 2},
		{name: "diff one arg", args: snap("snapshots", "diff", "latest"), exit: 2},
		{name: "reconcile positional", args: rec("extra"), exit: 2},
		{name: "reconcile nothing", args: []string{"--state", e.state, "reconcile"}, exit: 2, want: "--source"},
		{name: "reconcile no sink", args: []string{"--state", e.state, "reconcile", "--source", e.src, "--table", "t"}, exit: 2, want: "--sink"},
		{name: "output yaml", args: snap("snapshots", "list", "-o", "yaml"), exit: 2, want: "yaml"},
		{name: "output empty", args: snap("snapshots", "list", "-o", ""), exit: 2},
		{name: "backup nothing named", args: off("offsets", "backup"), exit: 2},
		{name: "offsets show via bogus", args: off("offsets", "show", "probe-src", "--via", "carrier-pigeon"), exit: 2, want: "via"},
		// bad enums
		{name: "mode fast", args: rec("--mode", "fast"), exit: 2, want: "mode"},
		{name: "source-mode bogus", args: rec("--source-mode", "turbo"), exit: 2, want: "mode"},
		{name: "timestamp precision ns", args: rec("--timestamp-precision", "ns"), exit: 2, want: "precision"},
		{name: "partition by week", args: rec("--partition-by", "created_at:week"), exit: 2, want: "partition"},
		{name: "partition by no unit", args: rec("--partition-by", "created_at"), exit: 2, want: "partition"},
		{name: "normalize no options", args: rec("--normalize", "email"), exit: 2, want: "normalize"},
		{name: "normalize unknown option", args: rec("--normalize", "email:upper"), exit: 2, want: "upper"},
		{name: "normalize bad scale", args: rec("--normalize", "v:scale=x"), exit: 2, want: "scale"},
		{name: "normalize unknown class", args: rec("--normalize", "v:as=money"), exit: 2, want: "money"},
		// bad DSNs and paths
		{name: "unknown scheme", args: []string{"--state", e.state, "reconcile", "--source", "oracle://db/x", "--sink", e.dst, "--table", "t"}, exit: 2, want: "unsupported"},
		{name: "dsn without scheme", args: []string{"--state", e.state, "reconcile", "--source", "localhost:5432", "--sink", e.dst, "--table", "t"}, exit: 2, want: "unsupported"},
		{name: "mysql without host", args: []string{"--state", e.state, "reconcile", "--source", "mysql:///db", "--sink", e.dst, "--table", "t"}, exit: 2},
		{name: "postgres bad port", args: []string{"--state", e.state, "reconcile", "--source", "postgres://u@127.0.0.1:notaport/db", "--sink", e.dst, "--table", "t"}, exit: 2},
		{name: "mistyped sqlite path", args: []string{"--state", e.state, "reconcile", "--source", e.src, "--sink", "sqlite://" + e.f("dts.db"), "--table", "t"}, exit: 3, want: "does not exist"},
		{name: "sqlite path is a directory", args: []string{"--state", e.state, "reconcile", "--source", e.src, "--sink", "sqlite://" + e.dir, "--table", "t"}, exit: 2, want: "directory"},
		{name: "sqlite file not a database", args: []string{"--state", e.state, "reconcile", "--source", e.src, "--sink", "sqlite://" + e.f("notsqlite.db"), "--table", "t"}, exit: 3},
		{name: "postgres unreachable with password", args: []string{"--state", e.state, "reconcile", "--source", "postgres://u:pr0be-secret@127.0.0.1:1/db", "--sink", e.dst, "--table", "t"}, exit: 3, want: "127.0.0.1:1"},
		{name: "mysql unreachable", args: []string{"--state", e.state, "reconcile", "--source", e.src, "--sink", "mysql://root:pr0be-secret@127.0.0.1:1/db", "--table", "t"}, exit: 3},
		{name: "state store mysql", args: []string{"--state", "mysql://root@127.0.0.1:3306/x", "reconcile", "history"}, exit: 2, want: "state"},
		{name: "state store bad scheme", args: []string{"--state", "redis://x", "reconcile", "history"}, exit: 2, want: "state"},
		{name: "vault bad scheme", args: []string{"--vault", "ftp://x/y", "snapshots", "list"}, exit: 2, want: "vault"},
		{name: "vault not a url", args: []string{"--vault", "::::", "snapshots", "list"}, exit: 2},
		{name: "diff file in missing dir", args: rec("--diff-file", e.f("no/such/dir/d.jsonl")), exit: 2, want: "diff"},
		// SQL injection through names: refused or not found, never run
		{name: "table with statement", args: rec("--table", "t; DROP TABLE t"), exit: 3, want: "not found"},
		{name: "table with quote", args: rec("--table", "t' OR '1'='1"), exit: 3, want: "not found"},
		{name: "table with comment", args: rec("--table", "t--"), exit: 3, want: "not found"},
		{name: "sink table injection", args: rec("--sink-table", "t\"; DELETE FROM t; --"), exit: 2, want: "invalid table name"},
		{name: "key injection", args: rec("--key", "id; DROP TABLE t"), exit: 2, want: "not found"},
		{name: "column injection", args: rec("--columns", "id,v); DROP TABLE t; --"), exit: 2, want: "not found"},
		{name: "exclude injection", args: rec("--exclude-columns", "v' OR 1=1"), exit: 2, want: "not found"},
		{name: "normalize column injection", args: rec("--normalize", "v;drop:trim"), exit: 2, want: "not found"},
		{name: "three-part table", args: rec("--table", "a.b.c"), exit: 2},
		{name: "partition column injection", args: rec("--partition-by", "id);DROP TABLE t;--:day"), exit: 2},
		// names that do not exist
		{name: "unknown table", args: rec("--table", "nosuch"), exit: 3, want: "not found"},
		{name: "unknown key", args: rec("--key", "nosuch"), exit: 2, want: "not found"},
		{name: "unknown column", args: rec("--columns", "id,nosuch"), exit: 2, want: "not found"},
		{name: "unknown excluded column", args: rec("--exclude-columns", "nosuch"), exit: 2, want: "not found"},
		{name: "unknown normalize column", args: rec("--normalize", "nosuch:trim"), exit: 2, want: "not found"},
		{name: "unknown partition column", args: rec("--partition-by", "nosuch:day"), exit: 2, want: "nosuch"},
		{name: "unknown connector status", args: con("connectors", "status", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector stop", args: con("connectors", "stop", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector pause", args: con("connectors", "pause", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector resume", args: con("connectors", "resume", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector restart", args: con("connectors", "restart", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector delete", args: con("connectors", "delete", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown connector offsets rest", args: off("offsets", "show", "nosuch", "--via", "rest"), exit: 3, want: "nosuch"},
		{name: "unknown snapshot show", args: snap("snapshots", "show", "20990101T000000Z-dead"), exit: 3, want: "20990101T000000Z-dead"},
		{name: "unknown snapshot verify", args: snap("snapshots", "verify", "nosuch"), exit: 3, want: "nosuch"},
		{name: "unknown snapshot diff", args: snap("snapshots", "diff", "nosuch", "nosuch2"), exit: 3, want: "nosuch"},
		{name: "latest of empty vault", args: snap("snapshots", "show", "latest"), exit: 3},
		{name: "unknown offsets topic show", args: off("offsets", "show", "probe-src", "--topic", "no-such-offsets"), exit: 3, want: "no-such-offsets"},
		{name: "unknown offsets topic backup", args: off("offsets", "backup", "--all", "--topic", "no-such-offsets"), exit: 3, want: "no-such-offsets"},
		{name: "diff live of empty vault", args: off("snapshots", "diff", "latest", "live"), exit: 3},
		{name: "unknown connector backup", args: off("offsets", "backup", "no-such-connector"), exit: 3, want: "no-such-connector"},
		{name: "unknown cluster", args: []string{"--config", e.f("cfg-ok.yaml"), "--cluster", "prod", "connectors", "list"}, exit: 2, want: "prod"},
		// malformed files
		{name: "pairs missing file", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("nosuch.yaml")}, exit: 2, want: "pairs"},
		{name: "pairs empty file", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("empty.yaml")}, exit: 2, want: "no pairs"},
		{name: "pairs without pairs", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("nopairs.yaml")}, exit: 2, want: "no pairs"},
		{name: "pairs unknown key", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("unknownkey.yaml")}, exit: 2, want: "colums"},
		{name: "pairs broken yaml", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("badyaml.yaml")}, exit: 2},
		{name: "pairs defaults table", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("deftable.yaml")}, exit: 2, want: "table"},
		{name: "pairs entry without table", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("notable.yaml")}, exit: 2, want: "table"},
		{name: "pairs without dsn", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("nodsn.yaml")}, exit: 2, want: "source"},
		{name: "pairs bad mode", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("badmode.yaml")}, exit: 2, want: "mode"},
		{name: "pairs negative max_diffs", args: []string{"--state", e.state, "reconcile", "--pairs", e.f("negmax.yaml")}, exit: 2, want: "max-diffs"},
		{name: "pairs is a directory", args: []string{"--state", e.state, "reconcile", "--pairs", e.dir}, exit: 2, want: "pairs"},
		{name: "config missing", args: []string{"--config", e.f("nosuch.yaml"), "connectors", "list"}, exit: 2, want: "config"},
		{name: "config unknown key", args: []string{"--config", e.f("cfg-unknown.yaml"), "connectors", "list"}, exit: 2, want: "conect"},
		{name: "config broken yaml", args: []string{"--config", e.f("cfg-bad.yaml"), "connectors", "list"}, exit: 2},
		{name: "identity missing", args: snap("snapshots", "verify", "--identity", e.f("nosuch.key")), exit: 2, want: "identity"},
		// unreachable services
		{name: "connect refused", args: []string{"--connect", "http://127.0.0.1:1", "connectors", "list"}, exit: 3, want: "127.0.0.1:1"},
		// A password typed into --connect is refused before anything is dialled (ps and shell history show it).
		{name: "connect refused with password", args: []string{"--connect", "http://admin:pr0be-secret@127.0.0.1:1", "connectors", "list"}, exit: 2, want: "holds a password"},
		{name: "connect not a url", args: []string{"--connect", "::nope", "connectors", "list"}, exit: 2},
		{name: "connect status refused", args: []string{"--connect", "http://127.0.0.1:1", "connectors", "status", "x"}, exit: 3},
		{name: "broker refused topics", args: []string{"--bootstrap", "127.0.0.1:1", "--connect", e.connect, "offsets", "topics"}, exit: 3},
		{name: "backup with connect down", args: []string{"--bootstrap", e.kafka, "--connect", "http://127.0.0.1:1", "--vault", e.vault, "offsets", "backup", "--all"}, exit: 3},
		// -o json: the error is one JSON object on stdout
		{name: "json max-diffs negative", args: rec("--max-diffs", "-5", "-o", "json"), exit: 2, json: true},
		{name: "json unknown table", args: rec("--table", "nosuch", "-o", "json"), exit: 3, json: true},
		{name: "json unknown connector", args: con("connectors", "status", "nosuch", "-o", "json"), exit: 3, json: true},
		{name: "json unknown snapshot", args: snap("snapshots", "show", "nosuch", "-o", "json"), exit: 3, json: true},
		{name: "json unknown command", args: []string{"snapshots", "lst", "-o", "json"}, exit: 2, json: true},
	}
	return cs
}

// TestProbeBadInputs runs every bad input through Main and wants, for each:
// the right exit code, one Error: line and one Hint: line on stderr (log
// lines aside), nothing else printed, no secret, and nothing changed on
// disk or in the lab. It logs "probe: N/M held" for the note.
func TestProbeBadInputs(t *testing.T) {
	e := newProbeEnv(t)
	cases := probeCases(e)
	held := 0
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			cwd := t.TempDir()
			t.Chdir(cwd)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			before := e.fingerprint(t, cwd)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errb strings.Builder
			code := Main(ctx, c.args, strings.NewReader(""), &out, &errb)
			if ctx.Err() != nil {
				t.Fatalf("hung: no answer within 20s")
			}
			stdout, stderr := out.String(), errb.String()
			if code != c.exit {
				t.Errorf("exit %d, want %d\nstderr: %s", code, c.exit, stderr)
			}
			var errLines, hintLines, other []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				switch {
				case strings.HasPrefix(l, "Error: "):
					errLines = append(errLines, l)
				case strings.HasPrefix(l, "Hint: ") && strings.TrimSpace(l[6:]) != "":
					hintLines = append(hintLines, l)
				case strings.HasPrefix(l, "time="), l == "":
				default:
					other = append(other, l)
				}
			}
			if len(errLines) != 1 || len(hintLines) != 1 || len(other) > 0 {
				t.Errorf("want one Error: and one Hint: line, got %d/%d and %d others:\n%s", len(errLines), len(hintLines), len(other), stderr)
			}
			if c.want != "" && (len(errLines) == 0 || !strings.Contains(strings.ToLower(errLines[0]), strings.ToLower(c.want))) {
				t.Errorf("error does not say %q:\n%s", c.want, stderr)
			}
			if c.json {
				var doc struct {
					Error *struct {
						Code    string `json:"code"`
						Message string `json:"message"`
						Hint    *string
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Error == nil || doc.Error.Code == "" || doc.Error.Message == "" || doc.Error.Hint == nil {
					t.Errorf("stdout is not the JSON error object (%v):\n%s", err, stdout)
				}
			} else if stdout != "" {
				t.Errorf("stdout not empty:\n%s", stdout)
			}
			if strings.Contains(stdout+stderr, "pr0be-secret") {
				t.Errorf("secret printed:\n%s%s", stdout, stderr)
			}
			if after := e.fingerprint(t, cwd); after != before {
				t.Errorf("something changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
		if ok {
			held++
		}
	}
	t.Logf("probe: %d/%d held", held, len(cases))
}
