package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the cdcops version",
		Example: "  cdcops version\n  cdcops version -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
				OS      string `json:"os"`
			}{cdcops.Version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
			return g.print(v, func(w io.Writer) { fmt.Fprintf(w, "cdcops %s (%s, %s)\n", v.Version, v.Go, v.OS) })
		},
	}
}
