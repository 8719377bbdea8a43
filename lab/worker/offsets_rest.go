package worker

import (
	"encoding/json"
	"net/http"

	"github.com/cdcops/cdcops/connectjson"
)

// KIP-875 offsets endpoints: GET/PATCH/DELETE /connectors/{c}/offsets.

// offsetEntry is one ConnectorOffset with exact JSON for both maps.
type offsetEntry struct {
	Partition json.RawMessage `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

type offsetsBody struct {
	Offsets []offsetEntry `json:"offsets"`
}

type messageBody struct {
	Message string `json:"message"`
}

// offsetsTarget is what the offsets handlers need of a connector.
type offsetsTarget struct {
	typ     string
	config  map[string]string
	stopped bool // target STOPPED and zero task configs
}

func (w *Worker) offsetsTarget(name string) (offsetsTarget, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return offsetsTarget{}, errNotFound(msgConnectorNotFound(name))
	}
	return offsetsTarget{typ: c.typ(), config: copyConfig(c.config),
		stopped: c.target == targetStopped && len(c.taskConfigs) == 0}, nil
}

func (w *Worker) handleGetOffsets(rw http.ResponseWriter, r *http.Request, s []string) {
	name := s[1]
	t, rerr := w.offsetsTarget(name)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	var entries []offsetEntry
	if t.typ == "sink" {
		entries, rerr = w.sinkOffsets(r.Context(), name, t.config)
	} else {
		entries, rerr = w.sourceOffsetEntries(r, name, t.config)
	}
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	if entries == nil {
		entries = []offsetEntry{}
	}
	writeJSON(rw, http.StatusOK, offsetsBody{entries})
}

func (w *Worker) sourceOffsetEntries(r *http.Request, name string, cfg map[string]string) ([]offsetEntry, *restError) {
	view, err := w.readSourceOffsets(r.Context(), w.offsetTopicsFor(cfg))
	if err != nil {
		return nil, errInternal(err.Error())
	}
	var out []offsetEntry
	for _, so := range view.connectorOffsets(name) {
		p, err1 := connectjson.Encode(so.partition)
		o, err2 := connectjson.Encode(so.offset)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, offsetEntry{p, o})
	}
	return out, nil
}

// requestedOffset is one entry of a PATCH body, in request order.
type requestedOffset struct {
	partition any // connectjson.Object or nil
	offset    any // connectjson.Object or nil
}

// parseOffsetsRequest reads {"offsets":[{"partition":{..},"offset":{..}|null}]}.
func parseOffsetsRequest(body []byte) ([]requestedOffset, *restError) {
	v, err := connectjson.Parse(body)
	if err != nil {
		return nil, errInternal("Cannot deserialize the offsets request: " + err.Error())
	}
	obj, _ := v.(connectjson.Object)
	list, _ := obj.Get("offsets")
	arr, _ := list.([]any)
	out := make([]requestedOffset, 0, len(arr))
	for _, e := range arr {
		eo, _ := e.(connectjson.Object)
		p, _ := eo.Get("partition")
		o, _ := eo.Get("offset")
		out = append(out, requestedOffset{p, o})
	}
	if len(out) == 0 {
		return nil, errBadRequest(msgOffsetsMissing)
	}
	return out, nil
}

// modifyChecks is DistributedHerder.modifyConnectorOffsetsChecks: unknown
// connector → 404, not STOPPED with zero tasks → 400.
func (w *Worker) modifyChecks(name string) (offsetsTarget, *restError) {
	t, rerr := w.offsetsTarget(name)
	if rerr != nil {
		return t, rerr
	}
	if !t.stopped {
		return t, errBadRequest(msgNotStopped(name))
	}
	return t, nil
}

func (w *Worker) handlePatchOffsets(rw http.ResponseWriter, r *http.Request, s []string) {
	name := s[1]
	body, err := readBody(r)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	reqs, rerr := parseOffsetsRequest(body)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	t, rerr := w.modifyChecks(name)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	if t.typ == "sink" {
		rerr = w.alterSinkOffsets(r.Context(), name, t.config, reqs)
	} else {
		rerr = w.alterSourceOffsets(r, name, t.config, reqs)
	}
	respond(rw, rerr, http.StatusOK, messageBody{msgModified(false, false)})
}

// alterSourceOffsets validates and normalizes the entries
// (Worker.normalizeSourceConnectorOffsets) and writes them, a tombstone
// for each null offset.
func (w *Worker) alterSourceOffsets(r *http.Request, name string, cfg map[string]string, reqs []requestedOffset) *restError {
	ws := make([]offsetWrite, 0, len(reqs))
	for _, q := range reqs {
		for _, m := range []any{q.partition, q.offset} {
			if rerr := validateOffsetMap(m); rerr != nil {
				return rerr
			}
		}
		key, err := connectjson.Encode([]any{name, q.partition})
		if err != nil {
			return errInternal(err.Error())
		}
		ow := offsetWrite{key: key}
		if q.offset != nil {
			if ow.value, err = connectjson.Encode(q.offset); err != nil {
				return errInternal(err.Error())
			}
		}
		ws = append(ws, ow)
	}
	ot := w.offsetTopicsFor(cfg)
	if err := w.ensureOffsetTopics(r.Context(), ot); err != nil {
		return errInternal(msgSourceModifyFailed(name) + ": " + err.Error())
	}
	if err := w.writeSourceOffsets(r.Context(), ot, ws); err != nil {
		return errInternal(msgSourceModifyFailed(name) + ": " + err.Error())
	}
	return nil
}

// validateOffsetMap is OffsetUtils.validateFormat: null or a map of
// primitives; anything else is a DataException (500).
func validateOffsetMap(m any) *restError {
	if m == nil {
		return nil
	}
	obj, ok := m.(connectjson.Object)
	if !ok {
		return errInternal("Offsets must be specified as a Map")
	}
	for _, f := range obj {
		switch f.Value.(type) {
		case connectjson.Object:
			return errInternal(msgNonPrimitiveOffset(f.Key, "MAP"))
		case []any:
			return errInternal(msgNonPrimitiveOffset(f.Key, "ARRAY"))
		}
	}
	return nil
}

func (w *Worker) handleDeleteOffsets(rw http.ResponseWriter, r *http.Request, s []string) {
	name := s[1]
	t, rerr := w.modifyChecks(name)
	if rerr != nil {
		writeRestError(rw, rerr)
		return
	}
	if t.typ == "sink" {
		rerr = w.resetSinkOffsets(r.Context(), name, t.config)
	} else {
		rerr = w.resetSourceOffsets(r, name, t.config)
	}
	respond(rw, rerr, http.StatusOK, messageBody{msgModified(true, false)})
}

// resetSourceOffsets writes a tombstone for every partition the offsets
// topics currently hold for the connector; none found is still success.
func (w *Worker) resetSourceOffsets(r *http.Request, name string, cfg map[string]string) *restError {
	ot := w.offsetTopicsFor(cfg)
	if err := w.ensureOffsetTopics(r.Context(), ot); err != nil {
		return errInternal(msgSourceModifyFailed(name) + ": " + err.Error())
	}
	keys, err := w.connectorPartitionKeys(r.Context(), ot, name)
	if err != nil {
		return errInternal(msgSourceModifyFailed(name) + ": " + err.Error())
	}
	ws := make([]offsetWrite, 0, len(keys))
	for _, k := range keys {
		ws = append(ws, offsetWrite{key: k})
	}
	if err := w.writeSourceOffsets(r.Context(), ot, ws); err != nil {
		return errInternal(msgSourceModifyFailed(name) + ": " + err.Error())
	}
	return nil
}
