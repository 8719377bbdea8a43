package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A selected cluster that does not name its Connect or its Kafka is a
// usage error; it never silently means 127.0.0.1.
func TestSelectedClusterNeverFallsBackToLocalhost(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cdcops.yaml")
	body := "clusters:\n  noconnect:\n    bootstrap: kafka.prod.internal:9092\n  nokafka:\n    connect: http://connect.prod.internal:8083\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for cluster, want := range map[string]string{"noconnect": "names no Kafka Connect URL", "nokafka": "names no Kafka bootstrap"} {
		code, _, stderr := run(t, "--config", cfg, "--cluster", cluster, "connectors", "list")
		if code != 2 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
			t.Errorf("--cluster %s: exit %d, want 2 with %q on one error line (+hint)\n%s", cluster, code, want, stderr)
		}
	}
}

// ~/ in a config file path is the user's home: no shell expands it there.
func TestConfigPathsExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg := filepath.Join(t.TempDir(), "cdcops.yaml")
	body := "connect:\n  url: http://127.0.0.1:1\n  user: ops\n  password_file: ~/connect.pw\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "--config", cfg, "connectors", "list")
	if code != 2 || !strings.Contains(stderr, filepath.Join(home, "connect.pw")) {
		t.Fatalf("missing ~/connect.pw: exit %d, want 2 naming %s\n%s", code, filepath.Join(home, "connect.pw"), stderr)
	}
	if err := os.WriteFile(filepath.Join(home, "connect.pw"), []byte("pw-from-home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "--config", cfg, "--timeout", "3s", "connectors", "list")
	if code != 3 || strings.Contains(stderr, "password file") || strings.Contains(stderr, "pw-from-home") {
		t.Fatalf("with ~/connect.pw present: exit %d, want 3 (port 1 refuses), no password-file error and no password\n%s", code, stderr)
	}
}
