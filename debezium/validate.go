package debezium

import (
	"errors"
	"fmt"

	"github.com/cdcops/cdcops/connectjson"
)

// integerFields must be JSON integers: loaders cast them to Long, so a
// float or a string breaks the connector (spec §3.6).
var integerFields = map[string]bool{
	"lsn": true, "lsn_proc": true, "lsn_commit": true, "ts_usec": true, "xmin": true,
	"lsn_events_processed": true, "pos": true, "server_id": true, "event": true, "row": true,
	"ts_sec": true, "ts_ms": true, "event_serial_no": true, "sec": true, "ord": true, "txnNumber": true,
	"scn_idx": true,
}

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
// when class is empty). A nil offset (reset) is valid.
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
	for _, f := range offset {
		if integerFields[f.Key] {
			if _, ok := f.Value.(int64); !ok && f.Value != nil {
				add("offset field %q is %s, want an integer", f.Key, typeName(f.Value))
			}
		}
	}
	str := func(key string) (string, bool, bool) {
		v, present := offset.Get(key)
		s, ok := v.(string)
		return s, present, ok
	}
	partStr := func(key string) {
		if v, ok := partition.Get(key); !ok {
			add("partition has no %q", key)
		} else if _, isS := v.(string); !isS {
			add("partition field %q is %s, want a string", key, typeName(v))
		}
	}
	switch k {
	case Postgres:
		partStr("server")
		if _, ok := offset.Get("lsn"); !ok {
			if _, snap := offset.Get("snapshot"); !snap {
				add("PostgreSQL offset has no \"lsn\"")
			}
		}
	case MySQL:
		partStr("server")
		if _, present, ok := str("file"); !present || !ok {
			add("MySQL offset needs a string \"file\" (Debezium fails with \"Source offset 'file' parameter is missing\")")
		}
		if _, ok := offset.Get("pos"); !ok {
			add("MySQL offset has no \"pos\"")
		}
		if g, present, ok := str("gtids"); present && ok {
			if _, err := ParseGTIDSet(g); err != nil {
				add("gtids: %v", err)
			}
		}
	case SQLServer:
		partStr("server")
		s, present, ok := str("commit_lsn")
		if !present || !ok {
			add("SQL Server offset needs a string \"commit_lsn\"")
		} else if _, err := ParseSQLServerLSN(s); err != nil {
			add("commit_lsn: %v", err)
		}
		if s, present, ok := str("change_lsn"); present && ok {
			if _, err := ParseSQLServerLSN(s); err != nil {
				add("change_lsn: %v", err)
			}
		}
	case MongoDB:
		partStr("server_id")
		_, hasSec := offset.Get("sec")
		_, hasOrd := offset.Get("ord")
		init, _ := offset.Get("initsync")
		if !(hasSec && hasOrd) && init != true {
			if _, ok := offset.Get("resume_token"); !ok {
				add("MongoDB offset needs \"sec\" and \"ord\", a \"resume_token\" or \"initsync\"")
			}
		}
	case Oracle:
		partStr("server")
		if s, present, ok := str("scn"); present {
			if !ok {
				add("Oracle \"scn\" must be a numeric string")
			} else if _, err := ParseSCN(s); err != nil {
				add("scn: %v", err)
			}
		} else if _, lcr := offset.Get("lcr_position"); !lcr {
			add("Oracle offset has no \"scn\" (or \"lcr_position\")")
		}
	}
	return errs
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
