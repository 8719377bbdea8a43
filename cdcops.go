package cdcops

// Version is the cdcops release, set at build time with
// -ldflags "-X github.com/cdcops/cdcops.Version=v1.2.3".
var Version = "dev"
