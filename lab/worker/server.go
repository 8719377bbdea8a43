package worker

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// handler serves one route; segs are the unescaped path segments.
type handler func(rw http.ResponseWriter, r *http.Request, segs []string)

// routes is Connect's REST surface (RootResource, ConnectorsResource,
// ConnectorPluginsResource), matched by hand so unknown paths and methods
// get Jersey's JSON 404/405 bodies rather than net/http's plain text.
func (w *Worker) routes() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		segs, ok := pathSegments(r.URL.EscapedPath())
		var methods map[string]handler
		if ok {
			methods = w.match(segs)
		}
		if methods == nil {
			writeRoutingError(rw, http.StatusNotFound, msgHTTPNotFound)
			return
		}
		h, ok := methods[r.Method]
		if !ok {
			writeRoutingError(rw, http.StatusMethodNotAllowed, msgHTTPMethodNotAllowed)
			return
		}
		if r.Method != http.MethodGet {
			if code, msg, ok := w.takeMutationFault(); ok {
				writeError(rw, code, msg)
				return
			}
		}
		h(rw, r, segs)
	})
}

func (w *Worker) match(s []string) map[string]handler {
	switch {
	case len(s) == 0:
		return map[string]handler{"GET": w.handleRoot}
	case len(s) == 1 && s[0] == "health":
		return map[string]handler{"GET": w.handleHealth}
	case s[0] == "connector-plugins" && len(s) == 1:
		return map[string]handler{"GET": w.handlePlugins}
	case s[0] != "connectors":
		return nil
	case len(s) == 1:
		return map[string]handler{"GET": w.handleList, "POST": w.handleCreate}
	case len(s) == 2:
		return map[string]handler{"GET": w.handleInfo, "DELETE": w.handleDelete}
	case len(s) == 3:
		switch s[2] {
		case "config":
			return map[string]handler{"GET": w.handleGetConfig, "PUT": w.handlePutConfig, "PATCH": w.handlePatchConfig}
		case "status":
			return map[string]handler{"GET": w.handleStatus}
		case "tasks":
			return map[string]handler{"GET": w.handleTasks}
		case "restart":
			return map[string]handler{"POST": w.handleRestart}
		case "pause":
			return map[string]handler{"PUT": w.handlePause}
		case "resume":
			return map[string]handler{"PUT": w.handleResume}
		case "stop":
			return map[string]handler{"PUT": w.handleStop}
		case "topics":
			return map[string]handler{"GET": w.handleTopics}
		case "offsets":
			return map[string]handler{"GET": w.handleGetOffsets, "PATCH": w.handlePatchOffsets, "DELETE": w.handleDeleteOffsets}
		}
	case len(s) == 4 && s[2] == "topics" && s[3] == "reset":
		return map[string]handler{"PUT": w.handleTopicsReset}
	case len(s) == 5 && s[2] == "tasks" && isInt(s[3]):
		switch s[4] {
		case "status":
			return map[string]handler{"GET": w.handleTaskStatus}
		case "restart":
			return map[string]handler{"POST": w.handleTaskRestart}
		}
	}
	return nil
}

// pathSegments splits an escaped path and unescapes each segment, so a
// connector name may contain an escaped '/'.
func pathSegments(p string) ([]string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// isInt accepts what JAX-RS converts to an Integer path parameter.
func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// writeJSON writes a body the way Jackson does: compact, no HTML escaping.
func writeJSON(rw http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_, _ = rw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeError writes Connect's ErrorMessage body {"error_code":N,"message":"..."}.
func writeError(rw http.ResponseWriter, code int, msg string) {
	writeJSON(rw, code, struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}{code, msg})
}

// writeRoutingError is Jersey's 404/405 for a path or method no resource
// has: Connect's error body but no Content-Type header, as real 3.9.1 and
// 4.4.0 workers send it (no resource method, so no negotiated media type).
func writeRoutingError(rw http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}{code, msg})
	rw.Header()["Content-Type"] = nil // keep net/http from sniffing one
	rw.WriteHeader(code)
	_, _ = rw.Write(b)
}

func writeRestError(rw http.ResponseWriter, e *restError) { writeError(rw, e.code, e.msg) }

// respond writes the error of a failed operation, else v with code.
func respond(rw http.ResponseWriter, rerr *restError, code int, v any) {
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	writeJSON(rw, code, v)
}

// respondStatus writes the error of a failed operation, else code and no body.
func respondStatus(rw http.ResponseWriter, rerr *restError, code int) {
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	rw.WriteHeader(code)
}

// readBody reads a request body (bounded; lab requests are small).
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 16<<20))
}
