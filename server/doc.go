// Package server is cdcops's HTTP side. For now it is minimal: /metrics
// (Prometheus), /healthz (the process answers) and /readyz (the last
// evaluation cycle succeeded recently). The HTTP API and dashboard of
// DESIGN.md will grow here.
package server
