package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// Every command a person can type has an Example, and `--help` shows it
// (DESIGN.md house style; issue 2 acceptance). Cobra's own generated
// commands (help, completion) are not ours to document.
func TestEveryCommandHasExample(t *testing.T) {
	g := &globals{}
	root := newRootCmd(g)
	var walk func(c *cobra.Command)
	count := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		count++
		path := c.CommandPath()
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Example", path)
		} else if !strings.Contains(c.Example, "cdcops") {
			t.Errorf("%q Example does not show a cdcops command line: %q", path, c.Example)
		}
		args := append(strings.Fields(path)[1:], "--help")
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Errorf("cdcops %s: exit %d, stderr %s", strings.Join(args, " "), code, errOut.String())
		}
		if !strings.Contains(out.String(), "Examples:") {
			t.Errorf("cdcops %s shows no Examples: section:\n%s", strings.Join(args, " "), out.String())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if count < 9 { // root, version, connectors + 7 children at least
		t.Fatalf("walked only %d commands; the tree is not wired", count)
	}
}

// splitExample splits one example line like a shell would, for the parts
// examples use: quotes, a trailing # comment, and a redirection or pipe
// that ends the cdcops command.
func splitExample(line string) []string {
	var fields []string
	var cur strings.Builder
	inField := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == ' ' || r == '\t':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		case (r == '#' || r == '>' || r == '|') && !inField:
			return fields
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields
}

// exampleLines are the command lines of every Example in the tree.
func exampleLines(root *cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "cdcops") {
				out[c.CommandPath()] = append(out[c.CommandPath()], l)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// checkCommandLine resolves one cdcops command line with cobra as Main
// would, without running it: the command exists, every flag exists and
// parses, the values are in range, the flags do not conflict, and the
// positional arguments fit the command.
func checkCommandLine(line string) error {
	var fields []string
	for _, f := range splitExample(line) {
		if f != "…" && f != "..." { // "cdcops repair … --from-run 42": the elided flags of the line above
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 || fields[0] != "cdcops" {
		return fmt.Errorf("not a cdcops command line")
	}
	root := newRootCmd(&globals{getenv: func(string) string { return "" }})
	cmd, rest, err := root.Find(fields[1:])
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	args := cmd.Flags().Args()
	if cmd.HasAvailableSubCommands() && len(args) > 0 {
		return fmt.Errorf("%s has no subcommand %q", cmd.CommandPath(), args[0])
	}
	if err := cmd.ValidateArgs(args); err != nil {
		return err
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return err
	}
	return checkFlags(cmd)
}

// Review §1.1: `snapshots verify --all` was a help example for a flag that
// does not exist. Every example line must now resolve with cobra.
func TestEveryExampleParses(t *testing.T) {
	n := 0
	for path, lines := range exampleLines(newRootCmd(&globals{})) {
		for _, l := range lines {
			n++
			if err := checkCommandLine(l); err != nil {
				t.Errorf("%s example %q: %v", path, l, err)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d example lines found; the walk is broken", n)
	}
	// The checker itself must refuse what Main refuses.
	for _, bad := range []string{"cdcops snapshots verify --all", "cdcops offsets discover", "cdcops reconcile --max-diffs -5",
		"cdcops connectors status", "cdcops reconcile --pairs p.yaml --table t", "cdcops snapshots diff a"} {
		if checkCommandLine(bad) == nil {
			t.Errorf("checker accepted %q", bad)
		}
	}
}

// docCommandLines are the cdcops command lines in the fenced code blocks of
// README.md and docs/*.md, with backslash continuations joined.
func docCommandLines(t *testing.T) map[string][]string {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	out := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inBlock, cont, info := false, "", ""
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				inBlock, cont = !inBlock, ""
				info = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "```"))
				continue
			}
			if !inBlock || info == "text" { // text blocks are synopses, not command lines
				continue
			}
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "$ "))
			if cont != "" {
				l = cont + " " + l
				cont = ""
			}
			if strings.HasSuffix(l, "\\") {
				cont = strings.TrimSuffix(l, "\\")
				continue
			}
			if strings.HasPrefix(l, "cdcops ") {
				out[filepath.Base(f)] = append(out[filepath.Base(f)], l)
			}
		}
	}
	return out
}

// Every command line shown in the README and docs resolves with cobra too.
func TestEveryDocCommandLineParses(t *testing.T) {
	n := 0
	for file, lines := range docCommandLines(t) {
		for _, l := range lines {
			n++
			if err := checkCommandLine(l); err != nil {
				t.Errorf("%s: %q: %v", file, l, err)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d command lines found in the docs", n)
	}
}

// runnableBlocks are the fenced blocks tagged "sh lab" in README.md and
// docs/*.md: quick starts that run as written against a lab.
func runnableBlocks(t *testing.T) map[string][][]string {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	out := map[string][][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var block []string
		in := false
		for _, l := range strings.Split(string(data), "\n") {
			trimmed := strings.TrimSpace(l)
			switch {
			case !in && trimmed == "```sh lab":
				in, block = true, nil
			case in && trimmed == "```":
				in = false
				out[filepath.Base(f)] = append(out[filepath.Base(f)], block)
			case in && trimmed != "" && !strings.HasPrefix(trimmed, "#"):
				block = append(block, trimmed)
			}
		}
	}
	return out
}

// The quick starts run exactly as written, with one change: `cdcops lab
// up` listens on random ports (--kafka/--connect 127.0.0.1:0 are added),
// and CDCOPS_CONNECT / CDCOPS_BOOTSTRAP point the other lines at it, as
// the documented defaults point at a lab on the default ports. Each line
// must exit 0 unless it says "# exit N".
func TestRunnableDocBlocks(t *testing.T) {
	blocks := runnableBlocks(t)
	if len(blocks["README.md"]) == 0 {
		t.Fatal("README.md has no runnable (sh lab) block")
	}
	for file, bs := range blocks {
		for i, block := range bs {
			t.Run(fmt.Sprintf("%s/%d", file, i), func(t *testing.T) { runDocBlock(t, block) })
		}
	}
}

func runDocBlock(t *testing.T, block []string) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, line := range block {
		args := splitExample(line)
		if len(args) == 0 || args[0] != "cdcops" {
			t.Fatalf("runnable block line %q is not a cdcops command", line)
		}
		if len(args) > 2 && args[1] == "lab" && args[2] == "up" {
			startDocLab(t, ctx, append(args[1:], "--kafka", "127.0.0.1:0", "--connect", "127.0.0.1:0"))
			continue
		}
		want := 0
		if _, c, ok := strings.Cut(line, "# exit "); ok {
			fmt.Sscanf(c, "%d", &want)
		}
		var out, errb bytes.Buffer
		lctx, lcancel := context.WithTimeout(ctx, time.Minute)
		code := Main(lctx, args[1:], strings.NewReader(""), &out, &errb)
		lcancel()
		if code != want {
			t.Errorf("%q: exit %d, want %d\nstdout: %s\nstderr: %s", line, code, want, out.String(), errb.String())
		}
	}
}

// startDocLab runs `cdcops lab up …` until the test ends and points the
// environment at it.
func startDocLab(t *testing.T, ctx context.Context, args []string) {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		code := Main(ctx, args, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		<-done
	})
	sc := bufio.NewScanner(pr)
	addrs := map[string]string{}
	for len(addrs) < 2 && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && (f[0] == "kafka" || f[0] == "connect") {
			addrs[f[0]] = f[1]
		}
	}
	if len(addrs) < 2 {
		t.Fatalf("cdcops %s did not print its addresses", strings.Join(args, " "))
	}
	go io.Copy(io.Discard, pr)
	t.Setenv("CDCOPS_CONNECT", addrs["connect"])
	t.Setenv("CDCOPS_BOOTSTRAP", addrs["kafka"])
}
