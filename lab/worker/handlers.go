package worker

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/connectjson"
)

// Handlers of ConnectorsResource / RootResource. Each parses the request,
// calls one herder operation and writes Connect's status code and body.

func (w *Worker) handleRoot(rw http.ResponseWriter, _ *http.Request, _ []string) {
	writeJSON(rw, http.StatusOK, struct { // rest/entities/ServerInfo.java, in its field order
		Version   string `json:"version"`
		Commit    string `json:"commit"`
		ClusterID string `json:"kafka_cluster_id"`
	}{kafkaVersion, kafkaCommit, w.cluster})
}

// handleHealth is GET /health (3.9+): the lab has no startup stages, so it
// is healthy whenever it answers.
func (w *Worker) handleHealth(rw http.ResponseWriter, _ *http.Request, _ []string) {
	writeJSON(rw, http.StatusOK, struct { // rest/entities/WorkerStatus.java
		Status  string `json:"status"`
		Message string `json:"message"`
	}{healthStatusHealthy, msgHealthy})
}

func (w *Worker) handlePlugins(rw http.ResponseWriter, _ *http.Request, _ []string) {
	type pluginInfo struct {
		Class   string `json:"class"`
		Type    string `json:"type"`
		Version string `json:"version"`
	}
	out := []pluginInfo{}
	for name, p := range w.opts.Plugins {
		out = append(out, pluginInfo{name, p.Type(), pluginVersion})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	writeJSON(rw, http.StatusOK, out)
}

func (w *Worker) handleList(rw http.ResponseWriter, r *http.Request, _ []string) {
	names := w.connectorNames()
	expand, ok := r.URL.Query()["expand"]
	if !ok {
		writeJSON(rw, http.StatusOK, names)
		return
	}
	out := map[string]map[string]any{}
	w.mu.Lock()
	for _, n := range names {
		c := w.connectors[n]
		if c == nil {
			continue // deleted while listing: left out, as Connect does
		}
		m := map[string]any{}
		missing := false
		for _, e := range expand {
			switch e {
			case "status":
				st, ok := w.stateInfoLocked(c)
				if !ok {
					missing = true // NotFoundException is caught and the connector skipped
				}
				m["status"] = st
			case "info":
				m["info"] = c.info()
			}
		}
		if !missing {
			out[n] = m
		}
	}
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, out)
}

func (w *Worker) handleCreate(rw http.ResponseWriter, r *http.Request, _ []string) {
	body, err := readBody(r)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	v, err := connectjson.Parse(body)
	obj, isObj := v.(connectjson.Object)
	if err != nil || !isObj {
		writeError(rw, http.StatusInternalServerError, "Cannot deserialize the create connector request: "+errText(err, "not a JSON object"))
		return
	}
	for _, f := range obj {
		switch f.Key {
		case "name", "config", "initial_state":
		default: // Jackson's FAIL_ON_UNKNOWN_PROPERTIES, surfaced as a 500
			writeError(rw, http.StatusInternalServerError, msgUnknownCreateField(f.Key))
			return
		}
	}
	name := ""
	if n, ok := obj.Get("name"); ok {
		name, _ = n.(string)
	}
	name = strings.TrimSpace(name)
	cfgVal, _ := obj.Get("config")
	cfg, rerr := configFromJSON(cfgVal)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	initial := ""
	if s, ok := obj.Get("initial_state"); ok && s != nil {
		str, _ := s.(string)
		switch up := strings.ToUpper(str); up {
		case "RUNNING":
			initial = targetStarted
		case "PAUSED", "STOPPED":
			initial = up
		default:
			writeError(rw, http.StatusInternalServerError, msgUnknownInitialState(up))
			return
		}
	}
	if rerr := checkName(name, cfg); rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	info, _, rerr := w.putConfig(r.Context(), name, cfg, false, initial)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	rw.Header().Set("Location", location(r, name))
	writeJSON(rw, http.StatusCreated, info)
}

// checkName is ConnectorsResource.checkAndPutConnectorConfigName.
func checkName(name string, cfg map[string]string) *restError {
	if inCfg, ok := cfg["name"]; ok && inCfg != name {
		return errBadRequest(msgNameMismatch(inCfg, name))
	}
	cfg["name"] = name
	return nil
}

// configFromJSON reads a Map<String,String> the way Jackson coerces it:
// scalars become their text; null values are a config error.
func configFromJSON(v any) (map[string]string, *restError) {
	obj, ok := v.(connectjson.Object)
	if v == nil {
		return map[string]string{}, nil
	}
	if !ok {
		return nil, errInternal("Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.String>` from non-object value")
	}
	cfg := map[string]string{}
	var nulls []string
	for _, f := range obj {
		switch x := f.Value.(type) {
		case string:
			cfg[f.Key] = x
		case nil:
			nulls = append(nulls, "Null value can not be supplied as the configuration value.")
		case connectjson.Object, []any:
			return nil, errInternal("Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`)")
		default:
			b, _ := connectjson.Encode(x)
			cfg[f.Key] = string(b)
		}
	}
	if len(nulls) > 0 {
		return nil, errBadRequest(msgConfigInvalid(nulls))
	}
	return cfg, nil
}

func (w *Worker) handleInfo(rw http.ResponseWriter, _ *http.Request, s []string) {
	info, rerr := w.connectorInfo(s[1])
	respond(rw, rerr, http.StatusOK, info)
}

func (w *Worker) handleGetConfig(rw http.ResponseWriter, _ *http.Request, s []string) {
	info, rerr := w.connectorInfo(s[1])
	respond(rw, rerr, http.StatusOK, info.Config)
}

func (w *Worker) handlePutConfig(rw http.ResponseWriter, r *http.Request, s []string) {
	body, err := readBody(r)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	v, err := connectjson.Parse(body)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, "Cannot deserialize the connector config: "+err.Error())
		return
	}
	cfg, rerr := configFromJSON(v)
	if rerr == nil {
		rerr = checkName(s[1], cfg)
	}
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	info, created, rerr := w.putConfig(r.Context(), s[1], cfg, true, "")
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	if created {
		rw.Header().Set("Location", location(r, s[1]))
		writeJSON(rw, http.StatusCreated, info)
		return
	}
	writeJSON(rw, http.StatusOK, info)
}

// handlePatchConfig is PATCH /connectors/{c}/config (3.8+, KAFKA-16445):
// the patch is merged into the current config, a null value removes the
// key (ConnectUtils.patchConfig), and the result is validated and written
// like a PUT; 200 with ConnectorInfo, 404 for an unknown connector. Unlike
// PUT there is no name-versus-URL check.
func (w *Worker) handlePatchConfig(rw http.ResponseWriter, r *http.Request, s []string) {
	body, err := readBody(r)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	v, err := connectjson.Parse(body)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, "Cannot deserialize the connector config patch: "+err.Error())
		return
	}
	patch, ok := v.(connectjson.Object)
	if !ok {
		writeError(rw, http.StatusInternalServerError, "Cannot deserialize the connector config patch: not a JSON object")
		return
	}
	ci, rerr := w.connectorInfo(s[1])
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	cur := ci.Config
	for _, f := range patch {
		if f.Value == nil {
			delete(cur, f.Key)
			continue
		}
		sv, isS := f.Value.(string)
		if !isS {
			raw, _ := connectjson.Encode(f.Value)
			sv = string(raw)
		}
		cur[f.Key] = sv
	}
	info, _, rerr := w.putConfig(r.Context(), s[1], cur, true, "")
	respond(rw, rerr, http.StatusOK, info)
}

func (w *Worker) handleStatus(rw http.ResponseWriter, _ *http.Request, s []string) {
	st, rerr := w.connectorStatus(s[1])
	respond(rw, rerr, http.StatusOK, st)
}

func (w *Worker) handleTasks(rw http.ResponseWriter, _ *http.Request, s []string) {
	tasks, rerr := w.taskInfos(s[1])
	respond(rw, rerr, http.StatusOK, tasks)
}

func (w *Worker) handleTaskStatus(rw http.ResponseWriter, _ *http.Request, s []string) {
	id, _ := strconv.Atoi(s[3])
	st, rerr := w.taskStatus(s[1], id)
	respond(rw, rerr, http.StatusOK, st)
}

func (w *Worker) handleTaskRestart(rw http.ResponseWriter, _ *http.Request, s []string) {
	id, _ := strconv.Atoi(s[3])
	respondStatus(rw, w.restartTask(s[1], id), http.StatusNoContent)
}

func (w *Worker) handleRestart(rw http.ResponseWriter, r *http.Request, s []string) {
	q := r.URL.Query()
	includeTasks := strings.EqualFold(q.Get("includeTasks"), "true")
	onlyFailed := strings.EqualFold(q.Get("onlyFailed"), "true")
	if !includeTasks && !onlyFailed { // RestartRequest.forceRestartConnectorOnly
		respondStatus(rw, w.restartConnector(s[1]), http.StatusNoContent)
		return
	}
	st, rerr := w.restartConnectorAndTasks(s[1], includeTasks, onlyFailed)
	respond(rw, rerr, http.StatusAccepted, st)
}

func (w *Worker) handlePause(rw http.ResponseWriter, r *http.Request, s []string) {
	respondStatus(rw, w.setTarget(r.Context(), s[1], targetPaused, msgUnknownConnector), http.StatusAccepted)
}

func (w *Worker) handleResume(rw http.ResponseWriter, r *http.Request, s []string) {
	respondStatus(rw, w.setTarget(r.Context(), s[1], targetStarted, msgUnknownConnector), http.StatusAccepted)
}

func (w *Worker) handleStop(rw http.ResponseWriter, r *http.Request, s []string) {
	respondStatus(rw, w.setTarget(r.Context(), s[1], targetStopped, msgUnknownConnector), http.StatusNoContent)
}

func (w *Worker) handleDelete(rw http.ResponseWriter, r *http.Request, s []string) {
	respondStatus(rw, w.deleteConnector(r.Context(), s[1]), http.StatusNoContent)
}

func errText(err error, def string) string {
	if err != nil {
		return err.Error()
	}
	return def
}

// location is the Location header of a created connector: Connect sets
// /connectors/<name> and Jersey makes it absolute against the request.
func location(r *http.Request, name string) string {
	return "http://" + r.Host + "/connectors/" + url.PathEscape(name)
}
