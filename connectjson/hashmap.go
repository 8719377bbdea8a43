package connectjson

import "unicode/utf16"

// javaHashMapOrder returns the indexes of keys in the order a
// java.util.HashMap[String,?] created with new HashMap<>() and filled by
// put(keys[0]), put(keys[1]), ... iterates them.
//
// HashMap iterates bucket by bucket; a key's bucket is
// (h ^ h>>>16) & (capacity-1) with h = String.hashCode(). The table starts
// at 16 and doubles whenever size exceeds 0.75×capacity; a resize keeps the
// relative order of keys within a bucket, so keys sharing a bucket come out
// in insertion order. (Bins are never treeified below 64 buckets, and
// offset maps are far smaller than that.)
func javaHashMapOrder(keys []string) []int {
	capacity := 16
	for float64(len(keys)) > 0.75*float64(capacity) {
		capacity *= 2
	}
	buckets := make([][]int, capacity)
	for i, k := range keys {
		h := javaStringHash(k)
		b := int((h ^ (h >> 16)) & uint32(capacity-1))
		buckets[b] = append(buckets[b], i)
	}
	order := make([]int, 0, len(keys))
	for _, b := range buckets {
		order = append(order, b...)
	}
	return order
}

// javaStringHash is String.hashCode(): s[0]*31^(n-1) + ... over UTF-16
// code units, in 32-bit wrapping arithmetic.
func javaStringHash(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + uint32(hi)
			h = 31*h + uint32(lo)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}
