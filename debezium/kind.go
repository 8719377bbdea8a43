package debezium

import (
	"strings"

	"github.com/cdcops/cdcops/connectjson"
)

// Kind is a family of Debezium offsets.
type Kind string

// The kinds cdcops decodes; Unknown offsets are shown raw.
const (
	Postgres  Kind = "postgresql"
	MySQL     Kind = "mysql"
	SQLServer Kind = "sqlserver"
	MongoDB   Kind = "mongodb"
	Oracle    Kind = "oracle"
	Unknown   Kind = "unknown"
)

// KindOfClass maps a connector.class to its kind; MariaDB uses the binlog
// format of MySQL.
func KindOfClass(class string) Kind {
	c := strings.ToLower(class)
	switch {
	case strings.Contains(c, "postgres"):
		return Postgres
	case strings.Contains(c, "mysql"), strings.Contains(c, "mariadb"):
		return MySQL
	case strings.Contains(c, "sqlserver"):
		return SQLServer
	case strings.Contains(c, "mongodb"):
		return MongoDB
	case strings.Contains(c, "oracle"):
		return Oracle
	}
	return Unknown
}

// Guess infers the kind from the fields of an offset, for connectors
// whose class is not known (e.g. a topic read without Connect access).
func Guess(offset connectjson.Object) Kind {
	has := func(k string) bool { _, ok := offset.Get(k); return ok }
	switch {
	case has("lsn") || has("lsn_proc"):
		return Postgres
	case has("file") && has("pos"):
		return MySQL
	case has("commit_lsn") || has("change_lsn"):
		return SQLServer
	case has("sec") && has("ord"), has("resume_token"), has("initsync"):
		return MongoDB
	case has("scn") || has("commit_scn") || has("lcr_position"):
		return Oracle
	}
	return Unknown
}

// Resolve picks the kind from class, or guesses from offset when the class
// is empty or not a Debezium class; guessed says which happened.
func Resolve(class string, offset connectjson.Object) (k Kind, guessed bool) {
	if k := KindOfClass(class); k != Unknown {
		return k, false
	}
	if g := Guess(offset); g != Unknown {
		return g, true
	}
	return Unknown, false
}
