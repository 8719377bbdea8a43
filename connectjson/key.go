package connectjson

import (
	"errors"
	"fmt"
)

// ErrNotOffsetKey marks a key that is not the [string, object] array
// Connect writes; Connect ignores such keys (spec §2.2), cdcops keeps them
// raw and flags them.
var ErrNotOffsetKey = errors.New("not a Connect offset key [namespace, {partition}]")

// ParseOffsetKey splits an offsets-topic key into its namespace (the
// connector name) and partition map, in key order as stored.
func ParseOffsetKey(key []byte) (namespace string, partition Object, err error) {
	v, err := Parse(key)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrNotOffsetKey, err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return "", nil, ErrNotOffsetKey
	}
	ns, ok := arr[0].(string)
	if !ok {
		return "", nil, ErrNotOffsetKey
	}
	obj, ok := arr[1].(Object)
	if !ok {
		return "", nil, ErrNotOffsetKey
	}
	return ns, obj, nil
}

// ValidateFlat checks what Connect's OffsetUtils.validateFormat checks for
// a partition or offset map: every value is a primitive (no nested maps or
// arrays). A nil map (a reset offset) is valid.
func ValidateFlat(m Object) error {
	for _, f := range m {
		switch f.Value.(type) {
		case nil, bool, int64, float64, string:
		default:
			return fmt.Errorf("value of %q is %T: offsets may only contain primitive types as values", f.Key, f.Value)
		}
	}
	return nil
}
