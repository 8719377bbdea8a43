package connectjson

import "unicode/utf16"

// javaHashMapOrder returns the indexes of keys in the order a
// java.util.HashMap[String,?] created with new HashMap<>() and filled by
// put(keys[0]), put(keys[1]), ... iterates them.
//
// HashMap iterates bucket by bucket; a key's bucket is h & (capacity-1)
// with h = String.hashCode() ^ (hashCode >>> 16), and a new key goes to the
// tail of its bucket. The table starts at 16 buckets (threshold 12) and
// doubles when size exceeds the threshold, and also when a put makes one
// bucket hold 9 keys while the table is below 64 buckets (treeifyBin
// resizes instead of treeifying small tables; delta J1). A resize splits
// each bucket keeping the keys' relative order. Treeified bins (9+ keys in
// one bucket of a 64+ table) are not modelled: offset maps never come near.
func javaHashMapOrder(keys []string) []int {
	order, _ := javaHashMapLayout(keys)
	return order
}

// javaHashMapLayout is javaHashMapOrder that also reports whether Java
// would have treeified a bin, where the order given is not Java's.
func javaHashMapLayout(keys []string) (order []int, treeified bool) {
	const treeifyThreshold, minTreeifyCapacity = 8, 64
	capacity, threshold := 16, 12
	hashes := make([]uint32, len(keys))
	for i, k := range keys {
		h := javaStringHash(k)
		hashes[i] = h ^ h>>16
	}
	buckets := make([][]int, capacity)
	resize := func() {
		next := make([][]int, capacity*2)
		for b, bin := range buckets {
			for _, i := range bin {
				if hashes[i]&uint32(capacity) == 0 {
					next[b] = append(next[b], i)
				} else {
					next[b+capacity] = append(next[b+capacity], i)
				}
			}
		}
		buckets, capacity, threshold = next, capacity*2, threshold*2
	}
	for i := range keys {
		b := hashes[i] & uint32(capacity-1)
		buckets[b] = append(buckets[b], i)
		if len(buckets[b]) > treeifyThreshold {
			if capacity < minTreeifyCapacity {
				resize()
			} else {
				treeified = true
			}
		}
		if i+1 > threshold {
			resize()
		}
	}
	order = make([]int, 0, len(keys))
	for _, b := range buckets {
		order = append(order, b...)
	}
	return order, treeified
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
