package vault

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/snaptest"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// store opens a vault of one blob-store kind; every test in the suite runs
// against each (the house rule: one suite per interface implementation).
type store struct {
	name string
	url  func(t *testing.T) string
}

var stores = []store{
	{"file", func(t *testing.T) string { return "file://" + filepath.ToSlash(t.TempDir()) + "/vault" }},
	{"s3", func(t *testing.T) string {
		backend := s3mem.New()
		if err := backend.CreateBucket("cdcops-vault"); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		t.Cleanup(srv.Close)
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		t.Setenv("AWS_REGION", "us-east-1")
		return "s3://cdcops-vault?prefix=team-a/&endpoint=" + srv.URL + "&region=us-east-1&use_path_style=true&disable_https=true"
	}},
}

func forEachStore(t *testing.T, fn func(t *testing.T, url string)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { fn(t, s.url(t)) })
	}
}

func open(t *testing.T, url string, o Options) *Vault {
	t.Helper()
	v, err := Open(context.Background(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestSuitePutListLoadByteExact(t *testing.T) {
	forEachStore(t, func(t *testing.T, url string) {
		ctx := context.Background()
		v := open(t, url, Options{})
		s := snaptest.Sample(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 37208504)
		sum, err := v.Put(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if sum.ID == "" || sum.Records != 3 || len(sum.Connectors) != 3 || sum.FileSHA256 == "" {
			t.Fatalf("summary %+v", sum)
		}
		list, err := v.List(ctx)
		if err != nil || len(list) != 1 || list[0].ID != sum.ID {
			t.Fatalf("list %+v %v", list, err)
		}
		got, err := v.Load(ctx, sum.ID[:10])
		if err != nil {
			t.Fatal(err)
		}
		want := snaptest.Sample(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 37208504)
		snapfile.Canonicalize(&want.Content)
		for i, r := range got.Content.Records {
			w := want.Content.Records[i]
			if !bytes.Equal(r.RawKey, w.RawKey) || !bytes.Equal(r.RawValue, w.RawValue) || r.Partition != w.Partition || r.Offset != w.Offset || !r.Timestamp.Equal(w.Timestamp) {
				t.Errorf("record %d: got %+v want %+v", i, r, w)
			}
		}
		if got.ContentSHA256 != sum.ContentSHA256 {
			t.Errorf("content hash %s vs summary %s", got.ContentSHA256, sum.ContentSHA256)
		}
		if _, problems, err := v.Integrity(ctx, sum); err != nil || len(problems) > 0 {
			t.Fatalf("fresh snapshot fails its integrity check: %q %v", problems, err)
		}
		// Same content at another time: same content hash, different id.
		s2 := snaptest.Sample(time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC), 37208504)
		sum2, err := v.Put(ctx, s2)
		if err != nil {
			t.Fatal(err)
		}
		if sum2.ContentSHA256 != sum.ContentSHA256 || sum2.ID == sum.ID {
			t.Errorf("identical content: hashes %s/%s ids %s/%s", sum.ContentSHA256, sum2.ContentSHA256, sum.ID, sum2.ID)
		}
		if _, err := v.Load(ctx, "nope"); cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND {
			t.Errorf("unknown id: %v", err)
		}
	})
}

// tamper flips one byte in the middle of a stored snapshot file.
func tamper(t *testing.T, v *Vault, s cdcops.SnapshotSummary) {
	t.Helper()
	ctx := context.Background()
	key := snapKey(s.ID, s.Encrypted)
	data, err := v.bucket.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := v.bucket.WriteAll(ctx, key, data, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSuiteTamperedSnapshotFailsVerify(t *testing.T) {
	forEachStore(t, func(t *testing.T, url string) {
		ctx := context.Background()
		v := open(t, url, Options{})
		sum, err := v.Put(ctx, snaptest.Sample(time.Now(), 100))
		if err != nil {
			t.Fatal(err)
		}
		tamper(t, v, sum)
		_, problems, err := v.Integrity(ctx, sum)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) == 0 {
			t.Fatal("tampered snapshot passed its integrity check")
		}
		joined := strings.Join(problems, "\n")
		if !strings.Contains(joined, "sha256") {
			t.Errorf("problems do not say what failed: %s", joined)
		}
		if _, err := v.Load(ctx, sum.ID); cdcops.ErrorCodeOf(err) != cdcops.ECORRUPT {
			t.Errorf("load of tampered snapshot: %v", err)
		}
	})
}

func ageKeys(t *testing.T) (recipient string, identityFile string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(f, []byte("# test key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String(), f
}

func TestSuiteEncryption(t *testing.T) {
	forEachStore(t, func(t *testing.T, url string) {
		ctx := context.Background()
		rcpt, idFile := ageKeys(t)
		w := open(t, url, Options{Recipients: []string{rcpt}})
		sum, err := w.Put(ctx, snaptest.Sample(time.Now(), 100))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := w.ReadRaw(ctx, sum)
		if err != nil || !snapfile.IsEncrypted(raw) || bytes.Contains(raw, []byte("pg-orders")) {
			t.Fatalf("stored snapshot is not encrypted (err %v)", err)
		}
		if _, err := w.Load(ctx, sum.ID); cdcops.ErrorCodeOf(err) != cdcops.EINVALID || !strings.Contains(cdcops.HintOf(err), "--identity") {
			t.Errorf("load without identity: %v (hint %q)", err, cdcops.HintOf(err))
		}
		if _, _, err := w.Integrity(ctx, sum); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
			t.Errorf("verify without identity: %v", err)
		}
		_, otherID := ageKeys(t)
		wrong := open(t, url, Options{Identity: otherID})
		if _, err := wrong.Load(ctx, sum.ID); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
			t.Errorf("load with the wrong identity: %v", err)
		}
		r := open(t, url, Options{Identity: idFile})
		got, err := r.Load(ctx, sum.ID)
		if err != nil || len(got.Content.Records) != 3 {
			t.Fatalf("decrypting load: %v", err)
		}
		if _, problems, err := r.Integrity(ctx, sum); err != nil || len(problems) > 0 {
			t.Fatalf("verify encrypted: %q %v", problems, err)
		}
		if !r.StoredIntact(ctx, sum) {
			t.Error("fresh encrypted snapshot is not intact")
		}
		tamper(t, r, sum)
		if _, problems, err := r.Integrity(ctx, sum); err != nil || len(problems) == 0 {
			t.Fatalf("tampered encrypted snapshot: %q %v", problems, err)
		}
		if r.StoredIntact(ctx, sum) {
			t.Error("tampered encrypted snapshot counts as intact")
		}
	})
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"not a url", "s3://bucket/folder?region=us-east-1", "nosuchscheme://x"} {
		_, err := Open(context.Background(), u, Options{})
		if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || cdcops.HintOf(err) == "" {
			t.Errorf("Open(%q) = %v, want EINVALID with a hint", u, err)
		}
	}
	if _, err := Open(context.Background(), "file://"+t.TempDir(), Options{Recipients: []string{"age1notakey"}}); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("bad recipient: %v", err)
	}
}
