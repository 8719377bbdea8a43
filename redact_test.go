package cdcops

import (
	"strings"
	"testing"
)

// Keys and values of real connector configs (Debezium, JDBC sink, Schema
// Registry converters, SASL clients) that hold secrets; each must be hidden.
func TestRedactConfigHidesEverySecretShape(t *testing.T) {
	const secret = "pl4nted-S3CRET"
	secretKeys := []string{
		"database.password", "connection.password", "value.converter.basic.auth.user.info",
		"key.converter.schema.registry.basic.auth.user.info", "schema.registry.basic.auth.user.info",
		"ssl.keystore.key", "ssl.key.password", "ssl.truststore.password", "producer.override.ssl.key.password",
		"sasl.jaas.config", "consumer.override.sasl.jaas.config", "aws.secret.access.key", "aws.access.key.id",
		"github.token", "bearer.auth.token", "client.secret", "oauth.client.secret", "hmac.secret",
		"gcp.credentials.json", "snowflake.private.key", "snowflake.private.key.passphrase", "kerberos.keytab",
		"datadog.api.key", "azure.sas", "ssl.key", "database.pwd", "redis.pass", "mongodb.auth",
	}
	cfg := map[string]string{}
	for _, k := range secretKeys {
		cfg[k] = secret
	}
	// Values that are secret whatever their key.
	cfg["notes.a"] = "-----BEGIN PRIVATE KEY-----\nMIIE" + secret + "\n-----END PRIVATE KEY-----"
	cfg["notes.b"] = `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="` + secret + ` x";`
	cfg["notes.c"] = "Bearer " + secret
	cfg["database.url"] = "jdbc:postgresql://app:" + secret + "@db:5432/app"
	cfg["sink.uri"] = "mongodb://app:" + secret + "@mongo:27017"
	cfg["conn.dsn"] = "host=db user=app password=" + secret
	// A ConfigDef-declared PASSWORD key with an innocent name.
	cfg["database.hush"] = secret

	got := RedactConfig(cfg, "database.hush")
	for k, v := range got {
		if strings.Contains(v, secret) {
			t.Errorf("%s = %q still holds the secret", k, v)
		}
	}
	if !strings.HasPrefix(got["database.url"], "jdbc:postgresql://app:"+RedactedPassword+"@db") {
		t.Errorf("URL should keep its host: %q", got["database.url"])
	}

	// Keys an operator needs to re-create a connector stay readable.
	plain := map[string]string{
		"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "key.converter": "org.apache.kafka.connect.json.JsonConverter",
		"message.key.columns": "inventory.orders:id", "database.hostname": "db", "database.user": "app", "topic.prefix": "inv",
		"tasks.max": "1", "ssl.keystore.location": "/etc/ks.p12", "schema.registry.url": "http://sr:8081",
	}
	for k, v := range RedactConfig(plain) {
		if v != plain[k] {
			t.Errorf("%s redacted to %q; it holds no secret", k, v)
		}
	}
}
