package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// vaults
	_ "gocloud.dev/blob/s3blob"   // s3:// vaults
	"gocloud.dev/gcerrors"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// Layout inside the bucket: the snapshot files and, beside them, a small
// plaintext summary per snapshot so listing never has to decrypt.
const (
	snapPrefix  = "snapshots/"
	indexPrefix = "index/"
)

// Vault is a snapshot repository on a blob bucket.
type Vault struct {
	url        string
	local      bool
	dir        string // the directory of a file:// vault
	bucket     *blob.Bucket
	recipients []age.Recipient
	identities []age.Identity
}

// Options configure encryption: snapshots are encrypted to Recipients (age
// public keys) when any are given; Identity is an age identity file used
// to decrypt.
type Options struct {
	Recipients []string
	Identity   string
}

// Open opens the vault at rawURL, creating a local directory if needed.
func Open(ctx context.Context, rawURL string, opts Options) (*Vault, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use file://DIR or s3://BUCKET?region=…", "vault URL %q is not a URL", cdcops.RedactDSN(rawURL))
	}
	v := &Vault{url: redactURL(u)}
	if u.Scheme != "file" && strings.Trim(u.Path, "/") != "" {
		// Blob URLs name a bucket; a path would be silently ignored.
		return nil, cdcops.Errorf(cdcops.EINVALID, "put the folder in the prefix parameter: "+u.Scheme+"://"+u.Host+"?prefix="+strings.Trim(u.Path, "/")+"/",
			"vault URL %s has a path", v.url)
	}
	if u.Scheme == "file" {
		v.local = true
		dir := u.Host + u.Path // file://./x → host ".", path "/x"
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "check --vault", "create vault directory %s: %w", dir, err)
		}
		abs, _ := filepath.Abs(dir)
		v.dir = abs
		q := u.Query()
		q.Set("create_dir", "true")
		q.Set("no_tmp_dir", "true")
		q.Set("metadata", "skip")
		rawURL = "file://" + filepath.ToSlash(abs) + "?" + q.Encode()
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use file://DIR or s3://BUCKET?region=…", "open vault %s: %w", v.url, err)
	}
	v.bucket = b
	for _, r := range opts.Recipients {
		rc, err := age.ParseX25519Recipient(strings.TrimSpace(r))
		if err != nil {
			b.Close()
			return nil, cdcops.Errorf(cdcops.EINVALID, "vault.recipients takes age public keys (age1…)", "vault recipient %q: %w", r, err)
		}
		v.recipients = append(v.recipients, rc)
	}
	if opts.Identity != "" {
		f, err := os.Open(opts.Identity)
		if err != nil {
			b.Close()
			return nil, cdcops.Errorf(cdcops.EINVALID, "check --identity / vault.identity", "identity file: %w", err)
		}
		ids, err := age.ParseIdentities(f)
		f.Close()
		if err != nil {
			b.Close()
			return nil, cdcops.Errorf(cdcops.EINVALID, "the identity file must hold AGE-SECRET-KEY-1… lines (age-keygen)", "identity file %s: %w", opts.Identity, err)
		}
		v.identities = ids
	}
	return v, nil
}

func redactURL(u *url.URL) string {
	c := *u
	q := c.Query()
	for k := range q {
		if cdcops.IsSecretKey(k) {
			q.Set(k, cdcops.RedactedPassword)
		}
	}
	c.RawQuery = q.Encode()
	return cdcops.RedactDSN(c.String())
}

// URL is the vault's address with secrets redacted.
func (v *Vault) URL() string { return v.url }

// IsLocal reports a vault on local disk (a single point of failure).
func (v *Vault) IsLocal() bool { return v.local }

// Encrypted reports whether new snapshots are encrypted.
func (v *Vault) Encrypted() bool { return len(v.recipients) > 0 }

// Close releases the bucket.
func (v *Vault) Close() error { return v.bucket.Close() }

func snapKey(id string, encrypted bool) string {
	if encrypted {
		return snapPrefix + id + ".json.age"
	}
	return snapPrefix + id + ".json"
}

// Put encodes s (setting its id and content hash when empty), encrypts it
// if the vault has recipients, and stores it with its summary. Each object
// is read back and compared (size and sha256) before Put reports success,
// so a store that acknowledges writes it did not keep (a proxy answering
// 200 to everything, a full disk) fails here and not at restore time. On
// failure nothing is left that List would show as a snapshot.
func (v *Vault) Put(ctx context.Context, s *cdcops.Snapshot) (cdcops.SnapshotSummary, error) {
	data, err := snapfile.Encode(s)
	if err != nil {
		return cdcops.SnapshotSummary{}, err
	}
	// The id is the second and the content: a second backup of the same
	// offsets in the same second is this snapshot. Keep the stored one —
	// writing its file again (other created_at, other bytes) and dying
	// before the summary would leave a summary whose file no longer
	// matches it.
	if sum, ok := v.storedWhole(ctx, s.ID); ok {
		return sum, nil
	}
	if v.Encrypted() {
		if data, err = v.encrypt(data); err != nil {
			return cdcops.SnapshotSummary{}, err
		}
	}
	sum := s.Summary()
	fileSum := sha256.Sum256(data)
	sum.FileSHA256 = hex.EncodeToString(fileSum[:])
	sum.Encrypted = v.Encrypted()
	sum.Size = int64(len(data))
	key := snapKey(s.ID, sum.Encrypted)
	if err := v.writeVerified(ctx, key, data, "application/octet-stream"); err != nil {
		return sum, err
	}
	idx, _ := json.Marshal(sum)
	if err := v.writeVerified(ctx, indexPrefix+s.ID+".json", idx, "application/json"); err != nil {
		// Without its summary the file is junk; do not leave it behind.
		_ = v.delete(context.WithoutCancel(ctx), key)
		return sum, err
	}
	return sum, nil
}

// storedWhole returns snapshot id's summary when it and a file matching it
// are both stored.
func (v *Vault) storedWhole(ctx context.Context, id string) (cdcops.SnapshotSummary, bool) {
	var sum cdcops.SnapshotSummary
	raw, err := v.readAll(ctx, indexPrefix+id+".json")
	if err != nil || json.Unmarshal(raw, &sum) != nil || sum.ID != id {
		return sum, false
	}
	return sum, v.StoredIntact(ctx, sum)
}

func (v *Vault) encrypt(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, v.recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypt snapshot: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("encrypt snapshot: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// List returns every snapshot's summary, oldest first. Only objects named
// like snapshots count: temporary files of interrupted writes, empty
// objects and snapshot files without a summary are junk (see Junk), never
// snapshots. A summary whose file is gone is listed, so verify reports it.
func (v *Vault) List(ctx context.Context) ([]cdcops.SnapshotSummary, error) {
	objs, err := v.scan(ctx)
	if err != nil {
		return nil, err
	}
	return objs.snapshots, nil
}

// Junk lists the objects in the vault's folders that are not part of a
// snapshot, with why; `snapshots prune --apply` removes them.
func (v *Vault) Junk(ctx context.Context) ([]JunkObject, error) {
	objs, err := v.scan(ctx)
	if err != nil {
		return nil, err
	}
	return objs.junk, nil
}

// JunkObject is a stored object that is not (part of) a snapshot.
type JunkObject struct {
	Key      string    `json:"key"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Reason   string    `json:"reason"`
}

// DeleteJunk removes one junk object.
func (v *Vault) DeleteJunk(ctx context.Context, j JunkObject) error {
	if err := v.delete(ctx, j.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return v.unavailable("delete "+j.Key, err)
	}
	return nil
}

// idPattern is what snapfile.NewID makes (and the golden file's id).
var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9A-Za-z-]{1,64}$`)

type scanned struct {
	snapshots []cdcops.SnapshotSummary
	junk      []JunkObject
}

func (v *Vault) scan(ctx context.Context) (scanned, error) {
	var out scanned
	junk := func(obj *blob.ListObject, why string) {
		out.junk = append(out.junk, JunkObject{Key: obj.Key, Size: obj.Size, Modified: obj.ModTime, Reason: why})
	}
	byID := map[string]*cdcops.SnapshotSummary{}
	err := v.eachObject(ctx, indexPrefix, func(obj *blob.ListObject) error {
		id, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, indexPrefix), ".json")
		switch {
		case !ok || !idPattern.MatchString(id):
			junk(obj, junkReason(obj.Key))
			return nil
		case obj.Size == 0:
			junk(obj, "empty summary (interrupted write)")
			return nil
		}
		data, err := v.readAll(ctx, obj.Key)
		if err != nil {
			return v.unavailable("read "+obj.Key, err)
		}
		var s cdcops.SnapshotSummary
		if err := json.Unmarshal(data, &s); err != nil || s.ID != id {
			s = cdcops.SnapshotSummary{ID: id}
		}
		byID[id] = &s
		return nil
	})
	if err != nil {
		return out, err
	}
	err = v.eachObject(ctx, snapPrefix, func(obj *blob.ListObject) error {
		name := strings.TrimPrefix(obj.Key, snapPrefix)
		id, encrypted := strings.CutSuffix(name, ".json.age")
		if !encrypted {
			id, _ = strings.CutSuffix(name, ".json")
		}
		switch sum, indexed := byID[id]; {
		case id == name || !idPattern.MatchString(id):
			junk(obj, junkReason(obj.Key))
		case obj.Size == 0:
			junk(obj, "empty snapshot file (interrupted write)")
		case !indexed:
			junk(obj, "snapshot file without its summary (interrupted write); not a usable backup")
		case sum.Encrypted != encrypted && sum.FileSHA256 != "":
			junk(obj, "file of the other encryption state than its summary")
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, s := range byID {
		out.snapshots = append(out.snapshots, *s)
	}
	sort.Slice(out.snapshots, func(i, j int) bool {
		a, b := out.snapshots[i], out.snapshots[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.ID < b.ID
	})
	return out, nil
}

func junkReason(key string) string {
	if strings.HasSuffix(key, ".tmp") {
		return "temporary file of an interrupted write"
	}
	return "not a cdcops snapshot object"
}

// eachObject calls fn for every object under prefix, stopping at fn's
// first error.
func (v *Vault) eachObject(ctx context.Context, prefix string, fn func(*blob.ListObject) error) error {
	it := v.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := v.next(ctx, it)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return v.unavailable("list", err)
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
}

func (v *Vault) unavailable(what string, err error) error {
	return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the vault URL and its credentials", "vault %s: %s: %w", v.url, what, err)
}

// ExactFirst orders the indices of all (oldest first, as List returns
// them) newest first, with every snapshot read from the offsets topics —
// the exact bytes a restore writes back — before every REST one, whose
// offsets Connect re-encoded. "latest" and prune's "newest good snapshot of
// a connector" use this order, so a REST snapshot never wins over an exact
// one.
func ExactFirst(all []cdcops.SnapshotSummary) []int {
	var exact, rest []int
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Via == "rest" {
			rest = append(rest, i)
		} else {
			exact = append(exact, i)
		}
	}
	return append(exact, rest...)
}

// Resolve turns a reference into a snapshot summary: an exact id, a
// unique id prefix, or "latest" (the newest topic snapshot; the newest REST
// one only when there is no topic snapshot, see ExactFirst).
func (v *Vault) Resolve(ctx context.Context, ref string) (cdcops.SnapshotSummary, error) {
	all, err := v.List(ctx)
	if err != nil {
		return cdcops.SnapshotSummary{}, err
	}
	if ref == "latest" && len(all) > 0 {
		return all[ExactFirst(all)[0]], nil
	}
	var hits []cdcops.SnapshotSummary
	for _, s := range all {
		if s.ID == ref {
			return s, nil
		}
		if strings.HasPrefix(s.ID, ref) {
			hits = append(hits, s)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return cdcops.SnapshotSummary{}, cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops snapshots list` shows the ids", "no snapshot %q in %s", ref, v.url)
	}
	return cdcops.SnapshotSummary{}, cdcops.Errorf(cdcops.EINVALID, "give more of the id", "snapshot id %q is ambiguous (%d matches)", ref, len(hits))
}

// ReadRaw returns a snapshot's stored bytes (encrypted or not).
func (v *Vault) ReadRaw(ctx context.Context, s cdcops.SnapshotSummary) ([]byte, error) {
	data, err := v.readAll(ctx, snapKey(s.ID, s.Encrypted))
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, cdcops.Errorf(cdcops.ECORRUPT, "the vault lost this snapshot's file; use another snapshot", "snapshot %s: file %s is missing", s.ID, snapKey(s.ID, s.Encrypted))
		}
		return nil, v.unavailable("read "+s.ID, err)
	}
	return data, nil
}

// Load reads, decrypts and decodes a snapshot by reference.
func (v *Vault) Load(ctx context.Context, ref string) (*cdcops.Snapshot, error) {
	sum, err := v.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	data, err := v.ReadRaw(ctx, sum)
	if err != nil {
		return nil, err
	}
	s, err := v.decode(sum.ID, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (v *Vault) decode(id string, data []byte) (*cdcops.Snapshot, error) {
	if snapfile.IsEncrypted(data) {
		plain, err := v.decrypt(id, data)
		if err != nil {
			return nil, err
		}
		data = plain
	}
	s, err := snapfile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", id, err)
	}
	if s.ID != id {
		return nil, cdcops.Errorf(cdcops.ECORRUPT, "the file was renamed or swapped; use another snapshot", "snapshot %s: file holds snapshot %s", id, s.ID)
	}
	return s, nil
}

func (v *Vault) decrypt(id string, data []byte) ([]byte, error) {
	if len(v.identities) == 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --identity FILE (or set vault.identity in cdcops.yaml)", "snapshot %s is encrypted and no age identity was given", id)
	}
	r, err := age.Decrypt(bytes.NewReader(data), v.identities...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, cdcops.Errorf(cdcops.EINVALID, "use the identity matching vault.recipients", "snapshot %s: the age identity does not match its recipients", id)
		}
		return nil, cdcops.Errorf(cdcops.ECORRUPT, "restore from another snapshot", "snapshot %s: decrypt: %w", id, err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.ECORRUPT, "restore from another snapshot", "snapshot %s: decrypt: %w", id, err)
	}
	return plain, nil
}

// Delete removes a snapshot and its summary.
func (v *Vault) Delete(ctx context.Context, s cdcops.SnapshotSummary) error {
	for _, key := range []string{snapKey(s.ID, s.Encrypted), indexPrefix + s.ID + ".json"} {
		if err := v.delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return v.unavailable("delete "+key, err)
		}
	}
	return nil
}
