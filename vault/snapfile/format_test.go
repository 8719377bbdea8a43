package snapfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/snaptest"
)

// writeGolden writes the golden file of the format version this encoder
// writes, once: it refuses to overwrite one, because a shipped format's
// golden file is frozen (TestGoldenV1StillLoads checks its sha256).
var writeGolden = flag.Bool("write-golden", false, "write testdata/snapshot-vN.json for a NEW format version (never overwrites)")

const goldenV1 = "../../testdata/snapshot-v1.json"

// goldenV1SHA256 is the sha256 of the v1 golden file as shipped. If this
// test fails the file was regenerated or edited: restore it from git, do
// not change this constant.
const goldenV1SHA256 = "d9365386fe3c59f36893dca3084c4ac8699cbe13816235fb9c082c1bc49c0d84"

func TestWriteGoldenForNewVersion(t *testing.T) {
	if !*writeGolden {
		t.Skip("opt-in: -write-golden writes the golden file of a new format version")
	}
	version := strings.TrimPrefix(cdcops.SnapshotFormat, "cdcops.snapshot/")
	path := "../../testdata/snapshot-" + version + ".json"
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists: a shipped format's golden file is frozen; bump cdcops.SnapshotFormat first", path)
	}
	s := snaptest.Sample(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), 37208504)
	s.ID = "20261121T120000Z-golden-" + version
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every format version that shipped keeps a golden file that must load.
// It is never regenerated: its bytes are pinned by goldenV1SHA256.
func TestGoldenV1StillLoads(t *testing.T) {
	data, err := os.ReadFile(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != goldenV1SHA256 {
		t.Fatalf("%s changed (sha256 %x): the shipped v1 golden file is frozen; restore it with `git checkout -- testdata/snapshot-v1.json`", goldenV1, sum)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatalf("golden v1 no longer loads: %v", err)
	}
	if s.ID != "20261121T120000Z-golden-v1" || len(s.Content.Records) != 3 || len(s.Content.Groups) != 1 {
		t.Fatalf("golden content: %+v", s)
	}
	want := snaptest.Sample(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), 37208504)
	Canonicalize(&want.Content)
	for i, r := range s.Content.Records {
		if !bytes.Equal(r.RawKey, want.Content.Records[i].RawKey) || !bytes.Equal(r.RawValue, want.Content.Records[i].RawValue) {
			t.Errorf("record %d bytes changed: %q %q", i, r.RawKey, r.RawValue)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := os.ReadFile(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		code cdcops.ErrorCode
		msg  string
	}{
		{"empty", nil, cdcops.ECORRUPT, "not a cdcops snapshot"},
		{"not json", []byte("offsets-backup.json from kafka-console-consumer"), cdcops.ECORRUPT, "not a cdcops snapshot"},
		{"newer version", bytes.Replace(good, []byte("cdcops.snapshot/v1"), []byte("cdcops.snapshot/v2"), 1), cdcops.EINVALID, `unsupported snapshot format "cdcops.snapshot/v2"`},
		{"other format", []byte(`{"format":"something","sha256":"","snapshot":{}}`), cdcops.ECORRUPT, "format field"},
		{"truncated", good[:len(good)/2], cdcops.ECORRUPT, "not a cdcops snapshot"},
		{"trailing garbage", append(append([]byte{}, good...), "{}"...), cdcops.ECORRUPT, ""},
		{"reformatted header", bytes.Replace(good, []byte(`{"format":`), []byte(`{ "format":`), 1), cdcops.ECORRUPT, "framing"},
		{"age file", []byte("age-encryption.org/v1\n-> X25519 abc\n"), cdcops.EINVALID, "encrypted"},
	}
	for _, c := range cases {
		_, err := Decode(c.data)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if cdcops.ErrorCodeOf(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v (code %s), want %s containing %q", c.name, err, cdcops.ErrorCodeOf(err), c.code, c.msg)
		}
		if cdcops.HintOf(err) == "" {
			t.Errorf("%s: no hint", c.name)
		}
	}
	// Every single-byte flip anywhere in the file is caught.
	for i := range good {
		bad := append([]byte{}, good...)
		bad[i] ^= 0x20
		if _, err := Decode(bad); err == nil {
			t.Fatalf("flip at byte %d (%q) not detected", i, good[i])
		}
	}
}

// FuzzDecode: the snapshot decoder never panics, and whatever it accepts
// re-encodes to a file it accepts with the same content hash.
func FuzzDecode(f *testing.F) {
	if good, err := os.ReadFile(goldenV1); err == nil {
		f.Add(good)
	}
	f.Add([]byte(`{"format":"cdcops.snapshot/v1","sha256":"","snapshot":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			if cdcops.ErrorCodeOf(err) == cdcops.EINTERNAL {
				t.Fatalf("decode error without a code: %v", err)
			}
			return
		}
		re, err := Encode(s)
		if err != nil {
			t.Fatalf("accepted snapshot does not re-encode: %v", err)
		}
		s2, err := Decode(re)
		if err != nil || s2.ContentSHA256 != s.ContentSHA256 {
			t.Fatalf("re-encoded snapshot: %v", err)
		}
	})
}
