package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/lab/scripted"
)

// Planted secrets, each in a place a real deployment puts one. None of
// them may appear in any byte cdcops prints, logs or stores.
var planted = map[string]string{
	"connect userinfo":             "Cx-userinfo-9f1",
	"database.password":            "Cx-dbpass-2a7",
	"schema registry user info":    "Cx-srinfo-77e",
	"ssl.keystore.key":             "Cx-pemkey-c03",
	"ssl.key.password":             "Cx-keypass-4d4",
	"sasl.jaas.config":             "Cx-jaas-b58",
	"custom token":                 "Cx-token-e21",
	"url with password":            "Cx-urlpass-6b9",
	"sink connection.password":     "Cx-sinkpass-0aa",
	"reconcile source DSN":         "Cx-pgdsn-311",
	"connect password (env)":       "Cx-envpass-5c2",
	"oddly named PEM value":        "Cx-pemvalue-8e6",
	"producer override secret key": "Cx-override-f70",
}

func secretConfig(class string) map[string]string {
	return map[string]string{
		"connector.class":                      class,
		"database.hostname":                    "db.internal",
		"database.user":                        "app",
		"database.password":                    planted["database.password"],
		"value.converter.basic.auth.user.info": "sr-user:" + planted["schema registry user info"],
		"ssl.keystore.key":                     "-----BEGIN PRIVATE KEY-----\nMIIE" + planted["ssl.keystore.key"] + "\n-----END PRIVATE KEY-----",
		"ssl.key.password":                     planted["ssl.key.password"],
		"sasl.jaas.config":                     `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="` + planted["sasl.jaas.config"] + `";`,
		"notifications.api.token":              planted["custom token"],
		"history.url":                          "postgres://hist:" + planted["url with password"] + "@db:5432/hist",
		"connection.password":                  planted["sink connection.password"],
		"extra.blob":                           "-----BEGIN RSA PRIVATE KEY-----\n" + planted["oddly named PEM value"] + "\n-----END RSA PRIVATE KEY-----",
		"producer.override.sasl.client.secret": planted["producer override secret key"],
	}
}

// A full lab flow with planted secrets: backup (topic and REST), show,
// diff, verify, list, connectors list/status/delete, reconcile with a
// password DSN and its history, failing commands whose errors print the
// Connect URL, verbose logs. Then every output byte, every vault object,
// the state database and the diff file are searched for every secret.
func TestNoSecretInAnyOutputLogVaultOrState(t *testing.T) {
	ctx := context.Background()
	l := testenv.Lab(t)
	cc := connect.New(l.ConnectURL())
	wl := kafkatest.Debezium(3, 2)
	for name := range wl.Connectors {
		if _, err := cc.Create(ctx, connect.CreateRequest{Name: name, InitialState: cdcops.StateStopped, Config: secretConfig(scripted.SourceClass)}); err != nil {
			t.Fatal(err)
		}
	}
	sinkCfg := secretConfig(scripted.SinkClass)
	sinkCfg["topics"] = "orders"
	if _, err := cc.Create(ctx, connect.CreateRequest{Name: "orders-sink", InitialState: cdcops.StateStopped, Config: sinkCfg}); err != nil {
		t.Fatal(err)
	}
	if err := kafkatest.Produce(ctx, l.KafkaAddr(), "connect-offsets", wl.Writes); err != nil {
		t.Fatal(err)
	}

	// Reconcile source: PostgreSQL (trust auth ignores the password, so a
	// planted one travels through every code path and still connects).
	pg := testenv.Postgres(t)
	pdb := testenv.Open(t, pg)
	for _, q := range []string{`CREATE TABLE t (id int PRIMARY KEY, v text)`, `INSERT INTO t VALUES (1,'a'),(2,'b')`} {
		if _, err := pdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pgWithPass := strings.Replace(pg, "postgres@", "postgres:"+planted["reconcile source DSN"]+"@", 1)
	if pgWithPass == pg {
		t.Fatalf("cannot plant a password in %s", pg)
	}
	dir := t.TempDir()
	sinkDB := filepath.Join(dir, "sink.db")
	sdb := testenv.Open(t, "sqlite://"+sinkDB)
	for _, q := range []string{`CREATE TABLE t (id int PRIMARY KEY, v text)`, `INSERT INTO t VALUES (1,'a'),(2,'changed')`} {
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sdb.Close()

	vaultDir := filepath.Join(dir, "vault")
	stateFile := filepath.Join(dir, "state.db")
	diffFile := filepath.Join(dir, "diffs.jsonl")
	connectWithInfo := strings.Replace(l.ConnectURL(), "http://", "http://admin:"+planted["connect userinfo"]+"@", 1)
	// The URL with userinfo comes from the environment (a typed one is
	// refused), and so does a basic-auth password.
	t.Setenv("CDCOPS_CONNECT", connectWithInfo)
	t.Setenv("CDCOPS_CONNECT_PASSWORD", planted["connect password (env)"])

	var all bytes.Buffer
	run := func(wantCode int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		base := []string{"-v", "--bootstrap", l.KafkaAddr(), "--vault", "file://" + vaultDir, "--state", "sqlite://" + stateFile}
		code := Main(ctx, append(base, args...), strings.NewReader(""), &out, &errb)
		all.Write(out.Bytes())
		all.Write(errb.Bytes())
		if wantCode >= 0 && code != wantCode {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, wantCode, out.String(), errb.String())
		}
		return out.String()
	}
	var res backup.Result
	if err := json.Unmarshal([]byte(run(0, "offsets", "backup", "--all", "-o", "json")), &res); err != nil {
		t.Fatal(err)
	}
	run(0, "offsets", "backup", "--all")
	run(0, "offsets", "backup", "--all", "--via", "rest", "--dedupe-window", "0")
	run(0, "offsets", "show", "dbz-0000")
	run(0, "offsets", "show", "dbz-0000", "-o", "json")
	run(0, "offsets", "topics")
	run(0, "snapshots", "list")
	run(0, "snapshots", "list", "-o", "json")
	run(0, "snapshots", "show", res.ID)
	run(0, "snapshots", "show", res.ID, "-o", "json")
	run(0, "snapshots", "diff", res.ID, "live")
	run(0, "snapshots", "diff", res.ID, "live", "-o", "json")
	run(0, "snapshots", "verify")
	run(0, "snapshots", "prune", "--keep-days", "7")
	run(0, "connectors", "list")
	run(0, "connectors", "list", "-o", "json")
	run(0, "connectors", "status", "dbz-0001", "-o", "json")
	run(3, "connectors", "status", "no-such-connector") // the 404 hint prints the Connect URL
	run(0, "connectors", "delete", "orders-sink")
	run(0, "connectors", "delete", "dbz-0002", "-o", "json")
	run(1, "reconcile", "--source", pgWithPass, "--sink", "sqlite://"+sinkDB, "--table", "t", "--diff-file", diffFile)
	run(1, "reconcile", "--source", pgWithPass, "--sink", "sqlite://"+sinkDB, "--table", "t", "-o", "json")
	run(0, "reconcile", "history")
	run(0, "reconcile", "history", "-o", "json")
	run(3, "reconcile", "--source", strings.Replace(pgWithPass, "127.0.0.1:5432", "127.0.0.1:1", 1), "--sink", "sqlite://"+sinkDB, "--table", "t")
	// Connect unreachable, with the userinfo in the URL: the error names the URL.
	t.Setenv("CDCOPS_CONNECT", "http://admin:"+planted["connect userinfo"]+"@127.0.0.1:1")
	run(3, "connectors", "list")
	run(3, "offsets", "backup", "--all")

	if all.Len() < 2000 {
		t.Fatalf("the flow printed only %d bytes; did the commands run?", all.Len())
	}
	if !strings.Contains(all.String(), cdcops.RedactedPassword) {
		t.Error("nothing was redacted at all; the planted secrets never reached the output paths")
	}
	haystacks := map[string][]byte{"stdout+stderr of every command": all.Bytes()}
	for _, root := range []string{vaultDir, dir} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == sinkDB {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			haystacks[p] = b
			return nil
		})
	}
	if len(haystacks) < 5 {
		t.Fatalf("only %d files to search: %v", len(haystacks), haystacks)
	}
	stored := false
	for name, b := range haystacks {
		stored = stored || strings.Contains(name, "snapshots"+string(filepath.Separator))
		for what, secret := range planted {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s leaks the %s", name, what)
			}
		}
	}
	if !stored {
		t.Error("no snapshot file was searched")
	}
}
