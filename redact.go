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

// secretWords make a config key secret wherever they appear in it. The
// rule errs on hiding: Kafka and its plugins add secret-bearing keys every
// release (ssl.keystore.key came with KIP-651), and a hidden harmless value
// costs less than a printed password.
var secretWords = []string{
	"password", "passwd", "passphrase", "secret", "credential", "token",
	"private.key", "privatekey", "private_key", "jaas", "user.info", "userinfo",
	"keystore.key", "keytab", "api.key", "apikey", "api_key", "access.key", "accesskey",
	"access_key", "auth.info", "signature", "bearer", "cookie",
}

// secretSegments make a key secret when one of its dot-separated parts is
// exactly one of them (*.pwd, sasl.*.pass), without hiding every key that
// merely contains the letters; "key" counts only as the last part (ssl.key,
// but not key.converter or message.key.columns).
var secretSegments = []string{"pwd", "pass", "pw", "auth", "sas", "psk"}

// IsSecretKey reports whether a connector or config key may hold a secret
// (password, token, key material, JAAS, basic-auth user info) and must be
// redacted. Keys a connector's ConfigDef marks PASSWORD are handled by
// RedactConfig's passwordKeys.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretWords {
		if strings.Contains(k, s) {
			return true
		}
	}
	parts := strings.FieldsFunc(k, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	if len(parts) > 1 && parts[len(parts)-1] == "key" {
		return true
	}
	for _, p := range parts {
		for _, s := range secretSegments {
			if p == s {
				return true
			}
		}
	}
	return false
}

// secretValue matches values that are secrets whatever their key: PEM
// blocks (keys, certificates with keys), JAAS login lines, and bearer or
// basic credentials.
var secretValue = regexp.MustCompile(`(?i)-----BEGIN [A-Z ]*-----|LoginModule|^\s*(bearer|basic)\s+\S+`)

// IsSecretValue reports whether a value must be hidden whatever its key.
func IsSecretValue(v string) bool { return secretValue.MatchString(v) }

// RedactConfig returns a copy of a connector config with secret values
// replaced: keys IsSecretKey flags, the passwordKeys a Connect ConfigDef
// declares PASSWORD, and values IsSecretValue flags; passwords inside
// URL-like values of the other keys are hidden (RedactDSN).
func RedactConfig(cfg map[string]string, passwordKeys ...string) map[string]string {
	pw := make(map[string]bool, len(passwordKeys))
	for _, k := range passwordKeys {
		pw[k] = true
	}
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		switch {
		case pw[k] || IsSecretKey(k) || IsSecretValue(v):
			out[k] = RedactedPassword
		default:
			out[k] = RedactDSN(v)
		}
	}
	return out
}
