package sqlconn

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// IsStatementError reports whether the server rejected a statement's text
// (a syntax error, an unknown column or function) rather than failing to
// run it: the query is wrong, retrying or a healthier server won't help.
func IsStatementError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 42: syntax error or access rule violation; 42501
		// (insufficient privilege) is about the user, not the text.
		return len(pe.Code) == 5 && pe.Code[:2] == "42" && pe.Code != "42501"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1054, 1064, 1305, 1582, 1583, 1584: // unknown column, syntax, unknown function, bad call arguments
			return true
		}
	}
	return false
}
