package debezium

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cdcops/cdcops/connectjson"
)

// ValidateRecord checks one offsets-topic record: the key is
// [string, flat object] and the value is null or a flat object, then the
// class's required fields (spec §7 item 5). class may be empty.
func ValidateRecord(class string, key, value []byte) error {
	_, part, err := connectjson.ParseOffsetKey(key)
	if err != nil {
		return err
	}
	if err := connectjson.ValidateFlat(part); err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	if value == nil {
		return nil
	}
	v, err := connectjson.Parse(value)
	if err != nil {
		return fmt.Errorf("offset value: %w", err)
	}
	if v == nil {
		return nil
	}
	off, ok := v.(connectjson.Object)
	if !ok {
		return fmt.Errorf("offset value is %T, want a JSON object", v)
	}
	return errors.Join(Validate(class, part, off)...)
}

// Validate checks a partition and offset map for class (guessing the kind
// when class is empty) exactly as strictly as Debezium 3.6's loader for
// that kind: a value the loader would throw on is refused with the reason,
// anything it accepts passes (delta D1-D9). The one extra check is that a
// MySQL/MariaDB "gtids" must parse, since the connector parses it when it
// starts streaming. A nil offset (reset) is valid.
func Validate(class string, partition, offset connectjson.Object) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := connectjson.ValidateFlat(partition); err != nil {
		add("partition: %v", err)
	}
	if offset == nil {
		return errs
	}
	if err := connectjson.ValidateFlat(offset); err != nil {
		add("offset: %v", err)
	}
	k, _ := Resolve(class, offset)
	for _, e := range loaderErrors(k, offset) {
		errs = append(errs, e)
	}
	partStr := func(key string) {
		if v, ok := partition.Get(key); !ok {
			add("partition has no %q", key)
		} else if _, isS := v.(string); !isS {
			add("partition field %q is %s, want a string", key, typeName(v))
		}
	}
	switch k {
	case Postgres, MySQL, SQLServer, Oracle:
		partStr("server")
	case MongoDB:
		partStr("server_id")
	}
	if k == MySQL {
		if g, ok := offset.Get("gtids"); ok {
			if s, isS := g.(string); isS {
				if _, err := ParseGTIDSet(s); err != nil {
					add("gtids: %v", err)
				}
			}
		}
	}
	return errs
}

// loaderErrors runs the kind's loader rules over offset.
func loaderErrors(k Kind, offset connectjson.Object) []error {
	var errs []error
	rules := loaderRules[k]
	name := kindName(k)
	for key, rule := range rules {
		v, present := offset.Get(key)
		if msg := rule(v, present); msg != "" {
			errs = append(errs, fmt.Errorf("offset %q %s (%s loader)", key, msg, name))
		}
	}
	if loadsCommon(k) {
		v, present := offset.Get("snapshot")
		if msg := snapshotValue(v, present); msg != "" {
			errs = append(errs, fmt.Errorf("offset \"snapshot\" %s", msg))
		}
		for _, f := range offset {
			if rule := transactionRule(f.Key); rule != nil {
				if msg := rule(f.Value, true); msg != "" {
					errs = append(errs, fmt.Errorf("offset %q %s (TransactionContext)", f.Key, msg))
				}
			}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func kindName(k Kind) string {
	switch k {
	case Postgres:
		return "PostgreSQL"
	case MySQL:
		return "MySQL/MariaDB"
	case SQLServer:
		return "SQL Server"
	case MongoDB:
		return "MongoDB"
	case Oracle:
		return "Oracle"
	}
	return string(k)
}

func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "a float"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case int64:
		return "an integer"
	}
	return fmt.Sprintf("%T", v)
}
