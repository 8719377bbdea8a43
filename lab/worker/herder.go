package worker

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/cdcops/cdcops/lab/plugin"
)

// The herder half of the worker: what DistributedHerder does on the
// request side. Each operation checks, writes the config topic and wakes
// the connector's supervisor; none waits for tasks to change.

// restError is an HTTP error with Connect's {"error_code","message"} body.
type restError struct {
	code int
	msg  string
}

func (e *restError) Error() string { return e.msg }

func errNotFound(msg string) *restError   { return &restError{http.StatusNotFound, msg} }
func errBadRequest(msg string) *restError { return &restError{http.StatusBadRequest, msg} }
func errConflict(msg string) *restError   { return &restError{http.StatusConflict, msg} }
func errInternal(msg string) *restError   { return &restError{http.StatusInternalServerError, msg} }

// findPlugin resolves a connector class by full name or alias (simple name,
// or simple name without a "Connector" suffix), like Plugins.connectorClass.
func (w *Worker) findPlugin(class string) (plugin.Plugin, *restError) {
	if p, ok := w.opts.Plugins[class]; ok {
		return p, nil
	}
	for name, p := range w.opts.Plugins {
		simple := name[strings.LastIndex(name, ".")+1:]
		if simple == class || simple == class+"Connector" {
			return p, nil
		}
	}
	names := make([]string, 0, len(w.opts.Plugins))
	for n, p := range w.opts.Plugins {
		names = append(names, "PluginDesc{klass=class "+n+", name='"+n+"', version='"+pluginVersion+"', encodedVersion="+pluginVersion+", type="+p.Type()+", typeName='"+p.Type()+"', location='classpath'}")
	}
	sort.Strings(names)
	available := strings.Join(names, ", ")
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.missingClasses[class] {
		return nil, errBadRequest(msgCachedNoConnectorClass(class, available))
	}
	if w.missingClasses == nil {
		w.missingClasses = map[string]bool{}
	}
	w.missingClasses[class] = true
	return nil, errBadRequest(msgNoConnectorClass(class, available))
}

// validate checks a connector config like AbstractHerder.validateConnectorConfig.
func (w *Worker) validate(cfg map[string]string) (plugin.Plugin, *restError) {
	class, ok := cfg["connector.class"]
	if !ok {
		return nil, errBadRequest(msgNoConnectorType)
	}
	p, rerr := w.findPlugin(class)
	if rerr != nil {
		return nil, rerr
	}
	var errs []string
	if cfg["name"] == "" {
		errs = append(errs, "Invalid value  for configuration name: String may not be empty")
	}
	if p.Type() == "sink" {
		topics, regex := strings.TrimSpace(cfg["topics"]), strings.TrimSpace(cfg["topics.regex"])
		switch {
		case topics != "" && regex != "":
			m := "topics and topics.regex are mutually exclusive options, but both are set."
			errs = append(errs, m, m)
		case topics == "" && regex == "":
			m := "Must configure one of topics or topics.regex"
			errs = append(errs, m, m)
		}
	}
	if err := p.Validate(cfg); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return nil, errBadRequest(msgConfigInvalid(errs))
	}
	return p, nil
}

// putConfig creates or updates a connector (DistributedHerder.putConnectorConfig).
// initial is the KIP-980 initial_state target ("" = STARTED); it only
// applies on creation.
func (w *Worker) putConfig(ctx context.Context, name string, cfg map[string]string, allowReplace bool, initial string) (info connectorInfo, created bool, rerr *restError) {
	p, rerr := w.validate(cfg)
	if rerr != nil {
		return info, false, rerr
	}
	w.mu.Lock()
	c := w.connectors[name]
	w.mu.Unlock()
	if c != nil && !allowReplace {
		return info, false, errConflict(msgAlreadyExists(name))
	}
	if c == nil {
		if initial == "" {
			initial = targetStarted
		}
		if initial != targetStarted {
			if err := w.writeTarget(ctx, name, initial); err != nil {
				return info, false, errInternal(err.Error())
			}
		}
	}
	if err := w.writeConnectorConfig(ctx, name, cfg); err != nil {
		return info, false, errInternal(err.Error())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c = w.connectors[name]; c == nil {
		c = newConnector(name, copyConfig(cfg), p, initial)
		w.connectors[name] = c
		created = true
		if !w.closed {
			w.startSupervisor(c)
		}
	} else {
		c.config, c.plugin = copyConfig(cfg), p
		c.configGen++
		c.signal()
	}
	return c.info(), created, nil
}

// setTarget writes a target state (pause, resume, stop).
func (w *Worker) setTarget(ctx context.Context, name, target string, notFound func(string) string) *restError {
	c := w.lookup(name)
	if c == nil {
		return errNotFound(notFound(name))
	}
	if err := w.writeTarget(ctx, name, target); err != nil {
		return errInternal(err.Error())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if target == targetStopped {
		c.taskConfigs = nil // stopConnector writes an empty task list first
	}
	c.target = target
	c.signal()
	return nil
}

// deleteConnector removes the config (a tombstone) and lets the
// supervisor stop the tasks; offsets are left alone, as in Connect.
func (w *Worker) deleteConnector(ctx context.Context, name string) *restError {
	c := w.lookup(name)
	if c == nil {
		return errNotFound(msgConnectorNotFound(name))
	}
	if err := w.writeDelete(ctx, name); err != nil {
		return errInternal(err.Error())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.connectors[name] == c {
		delete(w.connectors, name)
	}
	c.deleted = true
	c.signal()
	return nil
}
