package reconcile

import (
	"sort"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
)

// colPair is one compared column: its source and sink columns and the
// canonical format both sides render it in.
type colPair struct {
	Name      string // display name: the source column, "src:dst" when renamed
	Src, Dst  dialect.Column
	Format    dialect.Format
	Digits    int     // ClassFloat: significant digits compared
	Tolerance float64 // ClassFloat: absolute tolerance (when > 0)
}

// plan is the resolved comparison: key pairs first, then compared columns.
type plan struct {
	cols  []colPair
	nKeys int
	notes []string
}

var classByName = map[string]dialect.Class{
	"text": dialect.ClassText, "int": dialect.ClassInt, "bool": dialect.ClassBool, "decimal": dialect.ClassDecimal,
	"float": dialect.ClassFloat, "uuid": dialect.ClassUUID, "date": dialect.ClassDate, "timestamp": dialect.ClassTimestamp,
	"binary": dialect.ClassBinary, "json": dialect.ClassJSON,
}

func columnNotFound(name, side string, t *dialect.Table) error {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return cdcops.Errorf(cdcops.EINVALID, "columns of "+side+" table "+t.Ref.String()+": "+strings.Join(names, ", "),
		"column %q not found in %s table %s", name, side, t.Ref)
}

// makePlan pairs the columns of the two tables per the spec.
func makePlan(s *Spec, src, dst *dialect.Table) (*plan, error) {
	digits, err := s.tsDigits()
	if err != nil {
		return nil, err
	}
	mapping := map[string]string{} // source name → sink name
	var explicit []string
	for _, c := range s.Columns {
		a, b, ok := strings.Cut(c, ":")
		if !ok {
			b = a
		}
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if a == "" || b == "" {
			return nil, cdcops.Errorf(cdcops.EINVALID, "write --columns a,b or source_col:sink_col", "invalid column mapping %q", c)
		}
		mapping[a] = b
		explicit = append(explicit, a)
	}
	excluded := map[string]bool{}
	for _, c := range s.ExcludeColumns {
		sc, ok := src.Column(c)
		if !ok {
			return nil, columnNotFound(c, "source", src)
		}
		excluded[sc.Name] = true
	}
	for _, a := range explicit {
		if sc, ok := src.Column(a); ok && excluded[sc.Name] {
			return nil, cdcops.Errorf(cdcops.EINVALID, "name a column in --columns or in --exclude-columns, not both",
				"column %s is both compared (--columns) and excluded (--exclude-columns)", sc.Name)
		}
	}
	// Normalize keys are matched like every other column name (exact, then
	// case-insensitively) and applied by the catalog's name.
	norm := map[string]string{}
	for col, o := range s.Normalize {
		sc, ok := src.Column(col)
		if !ok {
			return nil, columnNotFound(col, "source", src)
		}
		if _, dup := norm[sc.Name]; dup {
			return nil, cdcops.Errorf(cdcops.EINVALID, "give --normalize once per column", "--normalize names column %s twice", sc.Name)
		}
		norm[sc.Name] = o
	}
	resolve := func(name string) (dialect.Column, dialect.Column, error) {
		sc, ok := src.Column(name)
		if !ok {
			return sc, dialect.Column{}, columnNotFound(name, "source", src)
		}
		dn, ok := mapping[name]
		if !ok {
			dn, ok = mapping[sc.Name]
		}
		if !ok {
			dn = sc.Name
		}
		dc, ok := dst.Column(dn)
		if !ok {
			return sc, dc, columnNotFound(dn, "sink", dst)
		}
		return sc, dc, nil
	}
	p := &plan{}
	keys := s.Key
	if len(keys) == 0 {
		keys = src.PK
		if len(keys) == 0 {
			keys = dst.PK
		}
	}
	if len(keys) == 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --key col[,col…] naming columns that identify a row",
			"table %s has no primary key", src.Ref)
	}
	used := map[string]bool{}
	for _, k := range keys {
		sc, dc, err := resolve(k)
		if err != nil {
			return nil, err
		}
		cp, err := pairFor(s, norm, sc, dc, digits)
		if err != nil {
			return nil, err
		}
		if cp.Format.Class == dialect.ClassFloat || cp.Format.Class == dialect.ClassJSON {
			return nil, cdcops.Errorf(cdcops.EINVALID, "choose an exact key column (integer, decimal, text, uuid, date, timestamp)",
				"key column %s is %s; it cannot order rows the same way on both sides", sc.Name, cp.Format.Class)
		}
		p.cols = append(p.cols, cp)
		used[sc.Name] = true
	}
	p.nKeys = len(p.cols)
	names := explicit
	if len(names) == 0 {
		for _, c := range src.Columns {
			if _, ok := dst.Column(c.Name); !ok {
				p.notes = append(p.notes, "column "+c.Name+" exists only in the source; not compared")
				continue
			}
			names = append(names, c.Name)
		}
		for _, c := range dst.Columns {
			if _, ok := src.Column(c.Name); !ok {
				p.notes = append(p.notes, "column "+c.Name+" exists only in the sink; not compared")
			}
		}
	}
	for _, n := range names {
		sc, dc, err := resolve(n)
		if err != nil {
			return nil, err
		}
		if used[sc.Name] || excluded[sc.Name] {
			continue
		}
		used[sc.Name] = true
		cp, err := pairFor(s, norm, sc, dc, digits)
		if err != nil {
			return nil, err
		}
		p.cols = append(p.cols, cp)
	}
	sort.Strings(p.notes)
	return p, nil
}

func pairFor(s *Spec, norm map[string]string, sc, dc dialect.Column, tsDigits int) (colPair, error) {
	opts := columnOpts{Scale: -1}
	if o, ok := norm[sc.Name]; ok {
		var err error
		if opts, err = parseColumnOpts(o); err != nil {
			return colPair{}, err
		}
	}
	cp := colPair{Name: sc.Name, Src: sc, Dst: dc, Digits: 15, Tolerance: s.FloatTolerance}
	if sc.Name != dc.Name {
		cp.Name = sc.Name + ":" + dc.Name
	}
	if s.FloatDigits > 0 {
		cp.Digits = s.FloatDigits
	}
	if opts.Digits > 0 {
		cp.Digits = opts.Digits
	}
	if opts.Tolerance > 0 {
		cp.Tolerance = opts.Tolerance
	}
	f := dialect.Format{Class: pairClass(sc, dc), Trim: opts.Trim, Casefold: opts.Casefold, TSDigits: tsDigits}
	if opts.As != "" {
		f.Class = classByName[opts.As]
	}
	if f.Class == dialect.ClassDecimal {
		f.Scale = decimalScale(sc, dc)
		if opts.Scale >= 0 {
			f.Scale = opts.Scale
		}
	}
	if (opts.Trim || opts.Casefold) && f.Class != dialect.ClassText {
		return cp, cdcops.Errorf(cdcops.EINVALID, "trim and casefold apply to text columns", "column %s is compared as %s", sc.Name, f.Class)
	}
	cp.Format = f
	return cp, nil
}

// pairClass picks the one canonical form both sides render a pair in.
func pairClass(a, b dialect.Column) dialect.Class {
	has := func(k dialect.Kind) bool { return a.Kind == k || b.Kind == k }
	both := func(ks ...dialect.Kind) bool {
		in := func(k dialect.Kind) bool {
			for _, x := range ks {
				if x == k {
					return true
				}
			}
			return false
		}
		return in(a.Kind) && in(b.Kind)
	}
	switch {
	case has(dialect.KindJSON):
		return dialect.ClassJSON
	case both(dialect.KindInt):
		return dialect.ClassInt
	case has(dialect.KindBool) && both(dialect.KindBool, dialect.KindInt):
		return dialect.ClassBool
	case has(dialect.KindDecimal) && both(dialect.KindDecimal, dialect.KindInt, dialect.KindFloat, dialect.KindBool, dialect.KindText, dialect.KindOther):
		return dialect.ClassDecimal
	case has(dialect.KindFloat) && both(dialect.KindFloat, dialect.KindInt, dialect.KindText, dialect.KindOther):
		return dialect.ClassFloat
	case has(dialect.KindUUID):
		return dialect.ClassUUID
	case has(dialect.KindDate) && both(dialect.KindDate, dialect.KindTimestamp, dialect.KindTimestampTZ, dialect.KindText, dialect.KindOther):
		return dialect.ClassDate
	case (has(dialect.KindTimestamp) || has(dialect.KindTimestampTZ)) &&
		both(dialect.KindTimestamp, dialect.KindTimestampTZ, dialect.KindText, dialect.KindOther):
		return dialect.ClassTimestamp
	case has(dialect.KindBinary):
		return dialect.ClassBinary
	}
	return dialect.ClassText
}

// decimalScale is the smaller declared scale of the two sides; an
// unconstrained numeric defers to the other side (or 10 when both are).
func decimalScale(a, b dialect.Column) int {
	s := -1
	for _, c := range []dialect.Column{a, b} {
		if c.Kind == dialect.KindDecimal && c.Scale >= 0 && (s < 0 || c.Scale < s) {
			s = c.Scale
		}
	}
	if s < 0 {
		if a.Kind == dialect.KindFloat || b.Kind == dialect.KindFloat || a.Kind == dialect.KindDecimal || b.Kind == dialect.KindDecimal {
			return 10
		}
		return 0
	}
	return s
}
