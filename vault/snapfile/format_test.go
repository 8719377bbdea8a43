package snapfile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/snaptest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const goldenV1 = "../../testdata/snapshot-v1.json"

// Every format version that shipped keeps a golden file that must load.
func TestGoldenV1StillLoads(t *testing.T) {
	if *update {
		s := snaptest.Sample(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), 37208504)
		s.ID = "20261121T120000Z-golden-v1"
		data, err := Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenV1), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenV1, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(goldenV1)
	if err != nil {
		t.Fatal(err)
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
	for i := 0; i < len(good); i += 7 {
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
