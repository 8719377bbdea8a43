package realstack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// javaFlags keep a JVM small and quick to start on a shared 2-core machine:
// one GC thread family, C1 only (these servers do little work).
var javaFlags = []string{"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"}

// Log configurations: everything at INFO to stdout, which startProc sends
// to the server's log file. Kafka 4.x logs through log4j2, 3.9 through
// reload4j (log4j 1 syntax).
const (
	log4j2Config = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.reflections.name = org.reflections
logger.reflections.level = error
`
	log4j1Config = `log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.reflections=ERROR
`
)

// javaCmd builds `java -XmxHEAP flags log-config -cp CP main args...`,
// writing the log configuration for the classpath into dir.
func javaCmd(cache Cache, component, heap, dir, main string, args ...string) (*exec.Cmd, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java not found on PATH (install a JDK 17+: apt-get install -y openjdk-17-jre-headless)")
	}
	if len(cache.Missing(component)) > 0 {
		return nil, fmt.Errorf("%s is not fetched into %s: %s", component, cache, FetchHint)
	}
	var logFlag string
	if hasJar(cache.Dir(component), "log4j-core-") {
		f := filepath.Join(dir, "log4j2.properties")
		if err := os.WriteFile(f, []byte(log4j2Config), 0o644); err != nil {
			return nil, err
		}
		logFlag = "-Dlog4j2.configurationFile=" + f
	} else {
		f := filepath.Join(dir, "log4j.properties")
		if err := os.WriteFile(f, []byte(log4j1Config), 0o644); err != nil {
			return nil, err
		}
		logFlag = "-Dlog4j.configuration=file:" + f
	}
	argv := append([]string{"-Xmx" + heap}, javaFlags...)
	argv = append(argv, logFlag, "-cp", cache.Classpath(component), main)
	return exec.Command(java, append(argv, args...)...), nil
}

func hasJar(dir, prefix string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, prefix+"*.jar"))
	return len(m) > 0
}

// writeProperties writes a Java properties file, keys sorted.
func writeProperties(file string, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}
