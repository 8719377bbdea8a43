package cdcops_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/cdcops/cdcops"

// The layers of DESIGN.md's arrows. Every package of the module must be
// in exactly one; a new package fails this test until someone decides
// where it belongs (and lists it in docs/architecture.md).
var (
	adapters = []string{"connect", "connectjson", "debezium", "kafka", "reconcile/dialect", "sqlconn", "state", "vault", "vault/snapfile"}
	// capabilities combine adapters into one job each.
	capabilities = []string{"backup", "journal", "monitor", "reconcile", "reconcile/repair", "server", "snapshots"}
	// testSupport is imported by _test.go files only.
	testSupport = []string{"internal/benchdata", "internal/snaptest", "internal/testenv", "kafka/kafkatest"}
)

// leafLibs may be imported by adapters: they talk to no outside system
// and hold one set of byte rules each, so sharing them is not an
// adapter-to-adapter dependency.
var leafLibs = map[string]string{
	"connectjson":    "Kafka Connect's JSON bytes as Java writes them; every adapter that reads or writes offsets needs the same rules",
	"sqlconn":        "the one DSN parser and opener (redaction, read-only); state and the dialects must open databases the same way",
	"vault/snapfile": "the snapshot file format of vault itself, split out so its fuzz target and golden file stand alone",
}

type pkgInfo struct {
	path     string // relative to the module, "" = root
	imports  []string
	testOnly []string // imports of _test.go files
}

func ours(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(imp, module+"/")
	return rel, ok
}

func loadPackages(t *testing.T) []pkgInfo {
	t.Helper()
	var out []pkgInfo
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			return err
		}
		info := pkgInfo{path: filepath.ToSlash(path)}
		if info.path == "." {
			info.path = ""
		}
		for _, imp := range p.Imports {
			if rel, ok := ours(imp); ok {
				info.imports = append(info.imports, rel)
			}
		}
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if rel, ok := ours(imp); ok {
				info.testOnly = append(info.testOnly, rel)
			}
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages; is the test running in the module root?", len(out))
	}
	return out
}

func layer(path string) string {
	switch {
	case path == "":
		return "root"
	case path == "cmd" || strings.HasPrefix(path, "cmd/"):
		return "cmd"
	case path == "lab" || strings.HasPrefix(path, "lab/"):
		return "lab"
	case slices.Contains(adapters, path):
		return "adapter"
	case slices.Contains(capabilities, path):
		return "capability"
	case slices.Contains(testSupport, path):
		return "test support"
	}
	return ""
}

func TestArrows(t *testing.T) {
	for _, p := range loadPackages(t) {
		name := p.path
		if name == "" {
			name = "cdcops (root)"
		}
		l := layer(p.path)
		if l == "" {
			t.Errorf("package %s is in no layer: add it to adapters, capabilities or testSupport in arch_test.go and to docs/architecture.md", name)
			continue
		}
		for _, imp := range p.imports {
			il := layer(imp)
			switch {
			case l == "root":
				t.Errorf("the root package imports %s; it must import nothing of ours", imp)
			case il == "cmd":
				t.Errorf("%s imports %s; nothing imports cmd", name, imp)
			case il == "lab" && l != "cmd" && l != "lab" && p.path != "internal/testenv":
				t.Errorf("%s imports %s; only cmd and tests use the lab", name, imp)
			case il == "test support" && l != "test support":
				t.Errorf("%s imports %s, which is for tests only", name, imp)
			case l == "adapter" && il == "capability":
				t.Errorf("adapter %s imports capability %s; arrows point down", name, imp)
			case l == "adapter" && il == "adapter" && leafLibs[imp] == "":
				t.Errorf("adapter %s imports adapter %s; adapters import only the root and the leaf libraries %v", name, imp, mapKeys(leafLibs))
			case l == "capability" && il == "capability" && !strings.HasPrefix(p.path, imp+"/") && !strings.HasPrefix(imp, p.path+"/"):
				t.Errorf("capability %s imports capability %s; share through an adapter or the root instead", name, imp)
			}
		}
	}
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// docs/architecture.md lists every package that exists, in backquotes.
func TestArchitectureDocListsEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range loadPackages(t) {
		want := "`" + p.path + "/`"
		if p.path == "" {
			want = "`cdcops` (root)"
		}
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/architecture.md does not list %s", want)
		}
	}
}
