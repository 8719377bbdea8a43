package cdcops

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactedPassword replaces every password cdcops prints.
const RedactedPassword = "xxxxx"

// keyValuePassword matches password=... in key/value DSNs
// ("host=x password=secret") and in query strings.
var keyValuePassword = regexp.MustCompile(`(?i)(password|passwd|pwd)=('[^']*'|[^\s&;]*)`)

// RedactDSN hides the password in a DSN or URL so it can be logged,
// shown in plans and stored in reports. It handles URL userinfo
// (postgres://u:p@h/db), MySQL's u:p@tcp(h)/db form and key=value DSNs.
func RedactDSN(dsn string) string {
	out := keyValuePassword.ReplaceAllString(dsn, "${1}="+RedactedPassword)
	if u, err := url.Parse(out); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), RedactedPassword)
			return strings.Replace(u.String(), url.QueryEscape(RedactedPassword), RedactedPassword, 1)
		}
		return out
	}
	// go-sql-driver form: user:pass@tcp(host:3306)/db, possibly behind mysql://
	at := strings.LastIndex(out, "@")
	if at < 0 {
		return out
	}
	userinfo := out[:at]
	scheme := ""
	if i := strings.Index(userinfo, "://"); i >= 0 {
		scheme, userinfo = userinfo[:i+3], userinfo[i+3:]
	}
	if colon := strings.Index(userinfo, ":"); colon >= 0 {
		return scheme + userinfo[:colon+1] + RedactedPassword + out[at:]
	}
	return out
}

// IsSecretKey reports whether a connector or config key holds a secret
// (password, secret, token, credentials, key material) and must be redacted.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "secret", "token", "credential", "private.key", "sasl.jaas.config", "api.key", "apikey"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// RedactConfig returns a copy of a connector config with secret values
// replaced and passwords inside URL-like values hidden.
func RedactConfig(cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		switch {
		case IsSecretKey(k):
			out[k] = RedactedPassword
		default:
			out[k] = RedactDSN(v)
		}
	}
	return out
}
