package vault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/snaptest"
	"github.com/cdcops/cdcops/internal/testenv"
)

// An endpoint that answers 200 to every request keeps nothing; Put must
// notice on read-back and say so, and nothing may be listed afterwards.
func TestPutDetectsAStoreThatKeepsNothing(t *testing.T) {
	var puts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts++
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	v := open(t, "s3://b?endpoint="+srv.URL+"&region=us-east-1&use_path_style=true&disable_https=true", Options{})
	_, err := v.Put(context.Background(), snaptest.Sample(time.Now(), 7))
	if err == nil {
		t.Fatal("Put reported success on a store that keeps nothing")
	}
	if puts == 0 {
		t.Fatalf("no PUT reached the endpoint: %v", err)
	}
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE || !strings.Contains(err.Error(), "reading it back gave 0 bytes") ||
		!strings.Contains(cdcops.HintOf(err), "answering 200") {
		t.Errorf("error %v (code %s, hint %q)", err, cdcops.ErrorCodeOf(err), cdcops.HintOf(err))
	}
}

// Leftovers of interrupted writes are junk: never listed as snapshots.
func TestListSkipsJunk(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "vault")
	v := open(t, "file://"+dir, Options{})
	good, err := v.Put(ctx, snaptest.Sample(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 1))
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, data string) {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("snapshots/"+good.ID+".json.18b3f0c2a1.tmp", "{\"format\":") // fileblob's temp file, killed mid-write
	write("snapshots/20261101T110000Z-aaaaaaaaaaaa.json", "")          // empty file
	write("index/20261101T110000Z-bbbbbbbbbbbb.json", "")              // empty summary
	raw, _ := os.ReadFile(filepath.Join(dir, "snapshots", good.ID+".json"))
	write("snapshots/20261101T120000Z-cccccccccccc.json", string(raw)) // file whose summary was never written
	write("snapshots/notes.txt", "hello")

	list, err := v.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != good.ID {
		t.Fatalf("list %+v %v: want only %s", list, err, good.ID)
	}
	junk, err := v.Junk(ctx)
	if err != nil || len(junk) != 5 {
		t.Fatalf("junk %+v %v: want 5 objects", junk, err)
	}
	for _, j := range junk {
		if j.Reason == "" || j.Modified.IsZero() {
			t.Errorf("junk %+v lacks a reason or time", j)
		}
		if err := v.DeleteJunk(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if junk, _ := v.Junk(ctx); len(junk) != 0 {
		t.Errorf("junk left after DeleteJunk: %+v", junk)
	}
	if _, err := v.Load(ctx, good.ID); err != nil {
		t.Errorf("deleting junk hurt the good snapshot: %v", err)
	}
}

// A vault on a full filesystem: Put fails with a hint that says so, and
// neither a snapshot nor a temporary file is left behind as a snapshot.
func TestPutOnFullFilesystem(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Missing(t, "a 64 KiB tmpfs mount ("+strings.TrimSpace(string(out))+")", "run the tests as root (mount -t tmpfs needs CAP_SYS_ADMIN)")
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	ctx := context.Background()
	v := open(t, "file://"+mnt+"/vault", Options{})
	// Fill the disk, leaving less than one snapshot's worth of room.
	filler := make([]byte, 61*1024)
	_ = os.WriteFile(filepath.Join(mnt, "filler"), filler, 0o600)
	s := snaptest.Sample(time.Now(), 9)
	for i := 0; i < 200; i++ { // a big config makes the file larger than the room left
		s.Content.Connectors[0].Config["pad."+strings.Repeat("x", 10)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 100)
	}
	_, err := v.Put(ctx, s)
	if err == nil {
		t.Fatal("Put succeeded on a full filesystem")
	}
	if !strings.Contains(cdcops.HintOf(err), "filesystem is full") || cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE {
		t.Errorf("error %v (hint %q)", err, cdcops.HintOf(err))
	}
	if list, err := v.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("after a failed Put: list %+v %v", list, err)
	}
}

// The same offsets backed up twice in one second get one id. The second
// Put keeps the stored snapshot: rewriting its file (other created_at,
// other bytes) and dying before the summary left a listed snapshot whose
// file no longer matched its summary (seen with kill -9).
func TestPutSameIDKeepsTheStoredSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "vault")
	v := open(t, "file://"+dir, Options{})
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	first, err := v.Put(ctx, snaptest.Sample(at, 1))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(dir, "snapshots", first.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := v.Put(ctx, snaptest.Sample(at.Add(400*time.Millisecond), 1))
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || second.FileSHA256 != first.FileSHA256 {
		t.Fatalf("second Put = %s %s, want the stored %s %s", second.ID, second.FileSHA256, first.ID, first.FileSHA256)
	}
	now, err := os.ReadFile(filepath.Join(dir, "snapshots", first.ID+".json"))
	if err != nil || string(now) != string(stored) {
		t.Fatalf("the stored file was rewritten (%v)", err)
	}
	// A different snapshot in the same second is stored under its own id.
	other, err := v.Put(ctx, snaptest.Sample(at.Add(500*time.Millisecond), 2))
	if err != nil || other.ID == first.ID {
		t.Fatalf("other content: %v, id %s", err, other.ID)
	}
}
