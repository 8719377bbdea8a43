package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// JavaProgram is Java source of ours compiled for a test: Run it with
// Command. Used to make the real JDK (or a real Debezium loader) the
// oracle of a Go reimplementation.
type JavaProgram struct {
	java, classpath string
}

// CompileJava compiles srcs (paths of .java files) with javac into a temp
// dir, against classpath (may be empty). Without a JDK it skips, or fails
// when CI is set, with the install command.
func CompileJava(t testing.TB, classpath string, srcs ...string) JavaProgram {
	t.Helper()
	javac, err1 := exec.LookPath("javac")
	java, err2 := exec.LookPath("java")
	if err1 != nil || err2 != nil {
		Missing(t, "a JDK (javac and java)", "apt-get install -y openjdk-17-jdk-headless")
	}
	out := t.TempDir()
	args := []string{"-nowarn", "-d", out}
	if classpath != "" {
		args = append(args, "-cp", classpath)
	}
	cmd := exec.Command(javac, append(args, srcs...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("javac %v: %v\n%s", srcs, err, b)
	}
	cp := out
	if classpath != "" {
		cp = out + string(filepath.ListSeparator) + classpath
	}
	return JavaProgram{java: java, classpath: cp}
}

// With returns the program with classpath entries added after its own
// classes (e.g. a plugin directory's jars, "dir/*").
func (p JavaProgram) With(classpath ...string) JavaProgram {
	for _, c := range classpath {
		p.classpath += string(filepath.ListSeparator) + c
	}
	return p
}

// Command runs main class with args on the program's classpath, with a
// small serial-GC heap (the machine is shared).
func (p JavaProgram) Command(main string, args ...string) *exec.Cmd {
	a := append([]string{"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", p.classpath, main}, args...)
	return exec.Command(p.java, a...)
}
