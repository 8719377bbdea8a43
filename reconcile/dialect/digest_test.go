package dialect

import "testing"

func TestParseDigestRejectsCutOrGarbled(t *testing.T) {
	entry := func(id, count byte, wide bool) []byte {
		var b []byte
		if wide {
			b = append(b, 0, 0, 0, 0)
		}
		b = append(b, 0, 0, 0, id, 0, 0, 0, count)
		return append(b, "hash8byt"...)
	}
	for _, wide := range []bool{false, true} {
		packed := append(entry(1, 3, wide), entry(7, 2, wide)...)
		got, ok := ParseDigest(packed, 5, Packing{Wide: wide, Counts: true})
		if !ok || len(got) != 2 || got[1].Bucket != 7 || got[1].Count != 2 || got[0].Hash != "hash8byt" {
			t.Fatalf("wide=%v: got %+v ok=%v", wide, got, ok)
		}
		if _, ok := ParseDigest(packed[:len(packed)-3], 5, Packing{Wide: wide, Counts: true}); ok {
			t.Errorf("wide=%v: a cut value was accepted", wide)
		}
		if _, ok := ParseDigest(packed, 6, Packing{Wide: wide, Counts: true}); ok {
			t.Errorf("wide=%v: counts that do not add up to the total were accepted", wide)
		}
		// Without counts an entry is the id and the hash; a cut one is refused.
		bare, _ := ParseDigest([]byte("\x00\x00\x00\x09hash8byt"), 0, Packing{})
		if len(bare) != 1 || bare[0].Bucket != 9 || bare[0].Count != -1 {
			t.Errorf("count-less entry: got %+v", bare)
		}
		if _, ok := ParseDigest([]byte("\x00\x00\x00\x09hash8by"), 0, Packing{}); ok {
			t.Error("a cut count-less value was accepted")
		}
	}
}

// A dense packing is the digests of every bucket in order; empty buckets
// (zero digests) are left out and a wrong length is refused.
func TestParseDigestDense(t *testing.T) {
	packed := []byte("digest00\x00\x00\x00\x00\x00\x00\x00\x00digest02")
	got, ok := ParseDigest(packed, 7, Packing{Dense: true, Buckets: 3})
	if !ok || len(got) != 2 || got[0] != (DigestEntry{Bucket: 0, Count: -1, Hash: "digest00"}) || got[1] != (DigestEntry{Bucket: 2, Count: -1, Hash: "digest02"}) {
		t.Fatalf("got %v, %v", got, ok)
	}
	if _, ok := ParseDigest(packed, 7, Packing{Dense: true, Buckets: 4}); ok {
		t.Fatal("a dense digest one bucket short was accepted")
	}
}
