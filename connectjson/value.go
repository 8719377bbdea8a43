package connectjson

// A Value is what Connect's schemaless JsonConverter holds: nil, bool,
// int64 (every integral JSON number), float64 (every other number),
// string, []any, or Object.
//
// Object keeps fields in the order they were added; Encode writes them in
// the order a Java HashMap built by adding them in that order iterates.
type Object []Field

// Field is one key/value pair of an Object.
type Field struct {
	Key   string
	Value any
}

// Get returns the value of key and whether it is present.
func (o Object) Get(key string) (any, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// Set replaces key's value in place (as HashMap.put does for an existing
// key) or appends it.
func (o Object) Set(key string, v any) Object {
	for i := range o {
		if o[i].Key == key {
			o[i].Value = v
			return o
		}
	}
	return append(o, Field{Key: key, Value: v})
}
