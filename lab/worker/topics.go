package worker

import "net/http"

// Active topic tracking (KIP-558): the topics a connector's tasks have
// produced to or consumed from since the last reset.

// noteTopic records topic as active for the task's connector.
func (t taskRef) noteTopic(topic string) {
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	if t.c.activeTopics == nil {
		t.c.activeTopics = map[string]bool{}
	}
	t.c.activeTopics[topic] = true
}

func (w *Worker) handleTopics(rw http.ResponseWriter, _ *http.Request, s []string) {
	if w.opts.TopicTracking.Disabled {
		writeError(rw, http.StatusForbidden, msgTopicTrackingDisabled)
		return
	}
	name := s[1]
	w.mu.Lock()
	topics := []string{}
	if c := w.connectors[name]; c != nil {
		topics = sortedTopics(c.activeTopics)
	}
	w.mu.Unlock()
	// ConnectorsResource: Collections.singletonMap(connector, ActiveTopicsInfo).
	writeJSON(rw, http.StatusOK, map[string]any{name: map[string][]string{"topics": topics}})
}

func (w *Worker) handleTopicsReset(rw http.ResponseWriter, _ *http.Request, s []string) {
	switch {
	case w.opts.TopicTracking.Disabled:
		writeError(rw, http.StatusForbidden, msgTopicTrackingDisabled)
		return
	case w.opts.TopicTracking.ResetDisabled:
		writeError(rw, http.StatusForbidden, msgTopicTrackingResetDisabled)
		return
	}
	w.mu.Lock()
	if c := w.connectors[s[1]]; c != nil {
		c.activeTopics = nil
	}
	w.mu.Unlock()
	rw.WriteHeader(http.StatusAccepted)
}
