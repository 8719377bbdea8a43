package cdcops

import "strings"

// TableRef names a table as the user typed it: optional schema (or MySQL
// database) and table name. Dialects quote it; nothing splices it raw.
type TableRef struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
}

// ParseTableRef splits "schema.table" on the first unquoted dot;
// double-quoted parts may contain dots ("my.schema"."t").
func ParseTableRef(s string) (TableRef, error) {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	bad := quoted || len(parts) > 2
	for _, p := range parts {
		bad = bad || p == ""
	}
	if bad {
		return TableRef{}, Errorf(EINVALID, `write the table as name or schema.name; quote parts that contain dots: "my.schema".orders`, "invalid table name %q", s)
	}
	if len(parts) == 1 {
		return TableRef{Name: parts[0]}, nil
	}
	return TableRef{Schema: parts[0], Name: parts[1]}, nil
}

func (t TableRef) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}
