package snapfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// A snapshot file is one line of JSON framed exactly as
//
//	{"format":"cdcops.snapshot/v1","sha256":"<hex>","snapshot":<body>}\n
//
// where sha256 covers the body bytes as stored. The framing is checked
// byte for byte, so a change anywhere in the file is detected.
const (
	framePrefix = `{"format":"`
	frameSHA    = `","sha256":"`
	frameBody   = `","snapshot":`
	frameEnd    = "}\n"
)

var formatPattern = regexp.MustCompile(`^cdcops\.snapshot/v[0-9]+$`)

// ContentHash is the sha256 of a snapshot's content in canonical order:
// equal offsets give equal hashes whenever and wherever they were taken.
// Records are hashed field by field, length-prefixed (see
// docs/snapshot-format.md), the rest (connectors, groups, REST bodies) as
// their JSON; hashing records directly keeps 1M-record backups fast.
func ContentHash(c *cdcops.SnapshotContent) (string, error) {
	h := sha256.New()
	var buf []byte
	field := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(b)))
		h.Write(buf)
		h.Write(b)
	}
	h.Write([]byte("cdcops.content/v1\n"))
	for i := range c.Records {
		r := &c.Records[i]
		field([]byte(r.Topic))
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(r.Partition))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.Offset))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.Timestamp.UnixNano()))
		h.Write(buf)
		field(r.RawKey)
		if r.RawValue == nil {
			h.Write([]byte{0xff, 0xff, 0xff, 0xff})
		} else {
			field(r.RawValue)
		}
		field([]byte(r.Connector))
		if r.Malformed {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	rest, err := json.Marshal(struct {
		Connectors []cdcops.SnapshotConnector         `json:"connectors"`
		Groups     []cdcops.GroupOffsets              `json:"groups"`
		REST       map[string]cdcops.ConnectorOffsets `json:"rest"`
	}{c.Connectors, c.Groups, c.REST})
	if err != nil {
		return "", fmt.Errorf("hash snapshot content: %w", err)
	}
	field(rest)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Canonicalize sorts a snapshot's content so its hash does not depend on
// the order things were read in.
func Canonicalize(c *cdcops.SnapshotContent) {
	sort.Slice(c.Connectors, func(i, j int) bool { return c.Connectors[i].Name < c.Connectors[j].Name })
	sort.SliceStable(c.Records, func(i, j int) bool {
		a, b := &c.Records[i], &c.Records[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Offset < b.Offset
	})
	sort.Slice(c.Groups, func(i, j int) bool { return c.Groups[i].Connector < c.Groups[j].Connector })
	if c.Records == nil {
		c.Records = []cdcops.OffsetRecord{}
	}
	if c.Connectors == nil {
		c.Connectors = []cdcops.SnapshotConnector{}
	}
}

// Encode canonicalizes s, fills in its content hash (and its id, when
// empty) and returns the file.
func Encode(s *cdcops.Snapshot) ([]byte, error) {
	Canonicalize(&s.Content)
	h, err := ContentHash(&s.Content)
	if err != nil {
		return nil, err
	}
	s.ContentSHA256 = h
	if s.ID == "" {
		s.ID = NewID(s.Meta.Created, h)
	}
	var b bytes.Buffer
	b.Grow(64 << 10)
	b.WriteString(framePrefix + cdcops.SnapshotFormat + frameSHA + strings.Repeat("0", 64) + frameBody)
	start := b.Len()
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	b.Truncate(b.Len() - 1) // Encoder's newline
	out := b.Bytes()
	sum := sha256.Sum256(out[start:])
	hex.Encode(out[start-len(frameBody)-64:start-len(frameBody)], sum[:])
	return append(out, frameEnd...), nil
}

// IsEncrypted reports whether data is an age file rather than a snapshot.
func IsEncrypted(data []byte) bool { return bytes.HasPrefix(data, []byte("age-encryption.org/")) }

// Decode checks and parses a snapshot file: framing, format version, the
// file sha256 over the body, strict JSON (no unknown fields) and the
// content hash. Every failure is a *cdcops.Error: ECORRUPT for damage,
// EINVALID for a format version this cdcops does not read.
func Decode(data []byte) (*cdcops.Snapshot, error) {
	if IsEncrypted(data) {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --identity FILE (or vault.identity in cdcops.yaml)", "snapshot is age-encrypted")
	}
	var head struct {
		Format   string          `json:"format"`
		SHA256   string          `json:"sha256"`
		Snapshot json.RawMessage `json:"snapshot"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, corrupt("not a cdcops snapshot (%v)", err)
	}
	if head.Format != cdcops.SnapshotFormat {
		if formatPattern.MatchString(head.Format) {
			return nil, cdcops.Errorf(cdcops.EINVALID, "this cdcops reads "+cdcops.SnapshotFormat+"; use the cdcops release that wrote it",
				"unsupported snapshot format %q", head.Format)
		}
		return nil, corrupt("format field is %q, want %q", truncate(head.Format), cdcops.SnapshotFormat)
	}
	want := framePrefix + cdcops.SnapshotFormat + frameSHA + head.SHA256 + frameBody
	if len(head.SHA256) != 64 || !bytes.HasPrefix(data, []byte(want)) {
		return nil, corrupt("file framing altered (header is not exactly %s…)", framePrefix+cdcops.SnapshotFormat+frameSHA+"<64 hex>"+frameBody)
	}
	body := bytes.TrimSuffix(data[len(want):], []byte("\n"))
	if !bytes.HasSuffix(body, []byte("}")) || !bytes.Equal(body[:len(body)-1], head.Snapshot) {
		return nil, corrupt("file framing altered (trailing bytes after the snapshot)")
	}
	body = body[:len(body)-1]
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != head.SHA256 {
		return nil, corrupt("sha256 mismatch: the file says %s, its content hashes to %s", head.SHA256, got)
	}
	var s cdcops.Snapshot
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, corrupt("snapshot body does not parse: %v", err)
	}
	h, err := ContentHash(&s.Content)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	if h != s.ContentSHA256 {
		return nil, corrupt("content sha256 mismatch: recorded %s, computed %s", s.ContentSHA256, h)
	}
	if s.ID == "" {
		return nil, corrupt("snapshot has no id")
	}
	return &s, nil
}

func corrupt(format string, args ...any) error {
	return cdcops.Errorf(cdcops.ECORRUPT, "restore from another snapshot; `cdcops snapshots list` shows them", format, args...)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// NewID names a snapshot by time and content: identical content taken in
// the same second gets the same id (so a retried cron run is harmless).
func NewID(created time.Time, contentSHA string) string {
	return created.UTC().Format("20060102T150405Z") + "-" + contentSHA[:12]
}
