package debezium

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// oracleKinds maps a connector class to the LoaderOracle kind and the
// plugin directory of the real stack's cache whose jars hold its loader.
var oracleKinds = map[string][2]string{
	pgClass:    {"postgres", "debezium-connector-postgres"},
	mysqlClass: {"mysql", "debezium-connector-mysql"},
	mariaClass: {"mariadb", "debezium-connector-mariadb"},
}

// realPluginDir is a Debezium plugin directory fetched by
// `scripts/realstack.sh fetch` ($CDCOPS_REALSTACK_CACHE or
// ~/.cache/cdcops/realstack). Once branch realstack is merged this is
// testenv.RealCache(t).Dir(name).
func realPluginDir(t *testing.T, name string) string {
	t.Helper()
	cache := os.Getenv("CDCOPS_REALSTACK_CACHE")
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(d, "cdcops", "realstack")
	}
	dir := filepath.Join(cache, "plugins", name)
	if jars, _ := filepath.Glob(filepath.Join(dir, name+"-*.jar")); len(jars) == 0 {
		testenv.Missing(t, "the Debezium jars of "+name, "run `scripts/realstack.sh fetch` (needs java and mvn)")
	}
	return dir
}

// TestValidateAgreesWithRealLoaders feeds every oracle vector to the real
// Debezium OffsetContext.Loader (testdata/harness/LoaderOracle.java,
// compiled at test time, run on the fetched jars) and requires cdcops's
// Validate to accept exactly the offsets the loader loads.
func TestValidateAgreesWithRealLoaders(t *testing.T) {
	prog := testenv.CompileJava(t, "", filepath.Join("testdata", "harness", "LoaderOracle.java"))
	byClass := map[string][]loaderVector{}
	for _, v := range loaderVectors {
		if v.oracle {
			byClass[v.class] = append(byClass[v.class], v)
		}
	}
	checked := 0
	for class, vs := range byClass {
		kind := oracleKinds[class]
		t.Run(kind[0], func(t *testing.T) {
			dir := realPluginDir(t, kind[1])
			var in strings.Builder
			for _, v := range vs {
				in.WriteString(v.offset + "\n")
			}
			cmd := prog.With(filepath.Join(dir, "*")).Command("LoaderOracle", kind[0])
			cmd.Stdin = strings.NewReader(in.String())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("LoaderOracle %s: %v", kind[0], err)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) != len(vs) {
				t.Fatalf("LoaderOracle answered %d lines for %d offsets:\n%s", len(lines), len(vs), out)
			}
			part := obj(t, `{"server":"s"}`)
			for i, v := range vs {
				errs := Validate(class, part, obj(t, v.offset))
				real := lines[i] == "ok"
				if real != (len(errs) == 0) {
					t.Errorf("%s %s: Debezium says %q, cdcops says %v", v.row, v.offset, lines[i], errs)
				}
				if real != (v.wantErr == "") {
					t.Errorf("%s %s: the vector table expects wantErr %q, Debezium says %q", v.row, v.offset, v.wantErr, lines[i])
				}
				checked++
			}
		})
	}
	t.Logf("%d offsets: cdcops agrees with the real Debezium loaders", checked)
}
