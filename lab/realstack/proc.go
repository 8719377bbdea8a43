package realstack

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// proc is one started server: its own process group, output in a log file,
// killed with the whole group on stop.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	term syscall.Signal // the polite stop signal; SIGTERM when 0
	done chan struct{}  // closed when the process has exited
	err  error          // Wait's result, valid after done
}

// live holds every started process so KillOnSignal can end them all.
var live struct {
	sync.Mutex
	procs map[*proc]bool
}

// startProc starts cmd in a new process group with stdout and stderr
// appended to logFile. The kernel also kills it if this process dies
// (Pdeathsig), a last resort for a parent killed with SIGKILL.
func startProc(name string, cmd *exec.Cmd, logFile string) (*proc, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	live.Lock()
	if live.procs == nil {
		live.procs = map[*proc]bool{}
	}
	live.procs[p] = true
	live.Unlock()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends the stop signal (SIGTERM) to the group, waits up to grace, then SIGKILLs the
// group. It returns once the process has been reaped.
func (p *proc) stop(grace time.Duration) {
	defer func() {
		live.Lock()
		delete(live.procs, p)
		live.Unlock()
	}()
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		sig := p.term
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		_ = syscall.Kill(-pgid, sig)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Also after a clean exit: a child left in the group (postgres
	// backends, a forked helper) must not survive its leader.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// failure describes an exit or a failed readiness check with the log's tail.
func (p *proc) failure(what string) error {
	msg := what
	if p.exited() {
		msg = fmt.Sprintf("%s exited (%v)", p.name, p.err)
	}
	return fmt.Errorf("%s; log %s ends with:\n%s", msg, p.log, tail(p.log, 15))
}

func tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

var signalOnce sync.Once

// KillOnSignal makes SIGINT and SIGTERM kill every process this package
// started (their whole groups, with SIGKILL) before the program exits with
// status 130. Tests install it through testenv.RunMain: a process group is
// out of reach of the terminal's Ctrl-C, so without it the JVMs would
// outlive an interrupted `go test`. Commands that cancel a context on
// signals and Close instead need not call it.
func KillOnSignal() {
	signalOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-ch
			KillAll()
			os.Exit(130)
		}()
	})
}

// KillAll SIGKILLs every process group this package started and still runs.
func KillAll() {
	live.Lock()
	ps := make([]*proc, 0, len(live.procs))
	for p := range live.procs {
		ps = append(ps, p)
	}
	live.Unlock()
	for _, p := range ps {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, p := range ps {
		<-p.done
	}
}

// closers runs cleanups in reverse order, joining their errors: what a
// failed Start and Close both use.
type closers []func() error

func (c closers) close() error {
	var errs []error
	for i := len(c) - 1; i >= 0; i-- {
		errs = append(errs, c[i]())
	}
	return errors.Join(errs...)
}
