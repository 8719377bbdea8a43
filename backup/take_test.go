package backup

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/vault"
)

func openVault(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.Open(context.Background(), "file://"+filepath.Join(t.TempDir(), "vault"), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func stored(t *testing.T, v *vault.Vault) int {
	t.Helper()
	list, err := v.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestTakeRefusesEmptyAndInvalid(t *testing.T) {
	ctx := context.Background()
	src := kfakeSources(t, nil)
	v := openVault(t)
	_, err := Take(ctx, src, v, Options{All: true, Via: "topic", AllowPartial: true})
	if cdcops.ErrorCodeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), "refusing to store an empty backup (no offsets found via topic)") ||
		!strings.Contains(cdcops.HintOf(err), "--allow-empty") {
		t.Errorf("empty backup: %v", err)
	}
	if _, err := Take(ctx, src, v, Options{Via: "topic", AllowPartial: true}); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("no names and no All: %v", err)
	}
	if n := stored(t, v); n != 0 {
		t.Fatalf("refused backups left %d snapshots in the vault", n)
	}
	res, err := Take(ctx, src, v, Options{All: true, Via: "topic", AllowPartial: true, AllowEmpty: true})
	if err != nil || res.Records != 0 || res.ID == "" || stored(t, v) != 1 {
		t.Errorf("AllowEmpty: %+v %v", res, err)
	}
}

func TestTakeMissingNamedConnector(t *testing.T) {
	ctx := context.Background()
	src := kfakeSources(t, kafkatest.Debezium(3, 1).Writes)
	var warn strings.Builder
	src.Warn = &warn
	v := openVault(t)
	_, err := Take(ctx, src, v, Options{Names: []string{"dbz-0001", "zz-ghost", "aa-ghost"}, Via: "topic", AllowPartial: true})
	if cdcops.ErrorCodeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), "without offsets for aa-ghost, zz-ghost") {
		t.Errorf("missing connectors: %v", err)
	}
	if n := stored(t, v); n != 0 || warn.Len() != 0 {
		t.Fatalf("refused backup stored %d snapshots, warned %q", n, warn.String())
	}
	res, err := Take(ctx, src, v, Options{Names: []string{"dbz-0001", "zz-ghost"}, Via: "topic", AllowPartial: true, AllowEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Missing, []string{"zz-ghost"}) || res.Records == 0 || res.Vault != v.URL() {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(warn.String(), "single point of failure") {
		t.Errorf("no local-vault warning: %q", warn.String())
	}
	s, err := v.Load(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.ContentSHA256 != res.ContentSHA256 || len(s.Content.Records) != res.Records || !reflect.DeepEqual(s.Meta.Scope, []string{"dbz-0001", "zz-ghost"}) {
		t.Errorf("stored snapshot %+v does not match result %+v", s.Meta, res)
	}
}
