package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressAfter is how long a command runs before progress is drawn:
// quick commands never flicker a line.
const progressAfter = 2 * time.Second

// startProgress draws one self-rewriting line on stderr while a long step
// runs — "label detail (12s)" — and returns the function that clears it.
// Only for a person: when stderr is not a terminal (piped, a file, a CI
// log) nothing is written. detail may be nil; it is called from another
// goroutine, so it must only read atomics or locked state.
func (g *globals) startProgress(label string, detail func() string) (stop func()) {
	return drawProgress(g.stderr, g.stderrIsTerminal(), label, detail, progressAfter, 250*time.Millisecond)
}

func drawProgress(w io.Writer, on bool, label string, detail func() string, after, every time.Duration) func() {
	if !on {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		drawn := false
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				el := time.Since(start)
				if el < after {
					continue
				}
				line := label
				if detail != nil {
					if d := detail(); d != "" {
						line += " " + d
					}
				}
				fmt.Fprintf(w, "\r\033[K%s (%s)", line, el.Truncate(time.Second))
				drawn = true
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}

// stderrIsTerminal decides whether progress is drawn: only for a person.
// /dev/null is a character device too, but nobody reads it.
func (g *globals) stderrIsTerminal() bool {
	f, ok := g.stderr.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

// progressBar draws "[#####-----]  45%  9000000/~20000000 rows"; the
// total is an estimate, so the bar stays below 100% until the step ends.
func progressBar(done, estimate int64, unit string) string {
	const width = 30
	if estimate <= 0 {
		return fmt.Sprintf("%d %s", done, unit)
	}
	frac := min(float64(done)/float64(estimate), 0.99)
	n := int(frac * width)
	return fmt.Sprintf("[%s%s] %3d%%  %d/~%d %s", strings.Repeat("#", n), strings.Repeat("-", width-n), int(frac*100), done, estimate, unit)
}
