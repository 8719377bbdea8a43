package surgery

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/vault"
)

// fixture is a lab with a vault and a state store, as the commands use them.
type fixture struct {
	l   *lab.Lab
	env Env
	cc  *connect.Client
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 200 * time.Millisecond})
	dir := t.TempDir()
	v, err := vault.Open(ctx, "file://"+filepath.Join(dir, "vault"), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	st, err := state.Open(ctx, "sqlite://"+filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	return &fixture{l: l, cc: cc, env: Env{Connect: cc, Bootstrap: l.KafkaAddr(), Vault: v, State: st}}
}

// pgOffset is a Debezium-PostgreSQL-shaped offset; lsn is last so
// lab.advance moves the LSN.
const pgOffset = `{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn":37208504}`

// source creates a scripted source with one partition and offset, waits
// until the offset is committed, and leaves the connector STOPPED.
func (f *fixture) source(t *testing.T, name, partition, offset string, advance bool) {
	t.Helper()
	ctx := context.Background()
	cfg := map[string]string{"connector.class": scripted.SourceClass,
		scripted.KeyOffsets: `[{"partition":` + partition + `,"offset":` + offset + `}]`}
	if advance {
		cfg[scripted.KeyAdvance] = "true"
	}
	if _, err := f.cc.Create(ctx, connect.CreateRequest{Name: name, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cc.WaitFor(ctx, name, connect.Running, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	f.waitOffsets(t, name)
	f.stop(t, name)
}

func (f *fixture) stop(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if err := f.cc.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cc.WaitFor(ctx, name, connect.Stopped, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) waitOffsets(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if len(f.current(t, name).Entries) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s committed no offset", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// current reads one connector's offsets from the offsets topic.
func (f *fixture) current(t *testing.T, name string) *Current {
	t.Helper()
	cur, _, err := f.env.read(context.Background(), []string{name}, "topic")
	if err != nil {
		t.Fatal(err)
	}
	return cur[name]
}

// value is the single partition's offset bytes of name.
func (f *fixture) value(t *testing.T, name string) []byte {
	t.Helper()
	c := f.current(t, name)
	if len(c.Entries) != 1 {
		t.Fatalf("%s has %d partitions, want 1", name, len(c.Entries))
	}
	return c.Entries[0].Value
}

func (f *fixture) plan(t *testing.T, req Request) *cdcops.Plan {
	t.Helper()
	ctx := context.Background()
	if req.Actor == "" {
		req.Actor = "alice"
	}
	p, err := MakePlan(ctx, f.env, req)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if err := Store(ctx, f.env, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantCode(t *testing.T, err error, code cdcops.ErrorCode, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := cdcops.ErrorCodeOf(err); got != code {
		t.Fatalf("%s: error code %s (%v), want %s", what, got, err, code)
	}
}

func applyOpts() ApplyOptions {
	return ApplyOptions{Reason: "test", Actor: "alice", Timeout: 20 * time.Second}
}
