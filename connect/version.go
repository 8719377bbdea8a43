package connect

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
)

// Version is a Kafka release, major.minor.patch.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports v ≥ major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// ParseVersion reads the "version" of GET /: "3.7.0", "3.8.0-SNAPSHOT", or a
// Confluent Platform build such as "7.5.0-ccs" or the dev form
// "8.4.0-0-ccs", which carry Apache Kafka under CP's own numbering; those
// are mapped to the AK release so capabilities follow the real code
// (delta K1: confluentinc/kafka gradle.properties per branch).
func ParseVersion(s string) (Version, error) {
	core, suffix, _ := strings.Cut(strings.TrimSpace(s), "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("version %q: want major.minor[.patch]", s)
	}
	var n [3]int
	for i := 0; i < len(parts) && i < 3; i++ {
		v, err := strconv.Atoi(parts[i])
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("version %q: %q is not a number", s, parts[i])
		}
		n[i] = v
	}
	v := Version{n[0], n[1], n[2]}
	if confluent(suffix) {
		v = apacheOfConfluent(v)
	}
	return v, nil
}

// confluent reports a Confluent build suffix: "ccs" (community) or "ce"
// (enterprise), possibly after a build number ("0-ccs") or before a
// qualifier ("ccs-SNAPSHOT").
func confluent(suffix string) bool {
	for _, f := range strings.Split(suffix, "-") {
		if f == "ccs" || f == "ce" {
			return true
		}
	}
	return false
}

// apacheOfConfluent maps a CP release to the AK release it ships:
// CP 5.x = AK 2.x, CP 6.0-6.2 = AK 2.6-2.8, CP 7.x = AK 3.x, CP 8.x = AK 4.x.
// Other majors are left as they are.
func apacheOfConfluent(v Version) Version {
	switch v.Major {
	case 5:
		v.Major = 2
	case 6:
		v.Major, v.Minor = 2, v.Minor+6
	case 7:
		v.Major = 3
	case 8:
		v.Major = 4
	}
	return v
}

// Capabilities says which endpoints a worker has, from its version
// (spec §2.1 and §1.1; found by diffing ConnectorsResource.java tags).
type Capabilities struct {
	Version      Version
	Raw          string // the version string as the worker reported it
	Known        bool   // false when the version could not be parsed: assume everything, let the worker answer
	Stop         bool   // PUT /connectors/{c}/stop (3.5, KIP-875)
	GetOffsets   bool   // GET /connectors/{c}/offsets (3.5)
	AlterOffsets bool   // PATCH /connectors/{c}/offsets (3.6)
	ResetOffsets bool   // DELETE /connectors/{c}/offsets (3.6)
	InitialState bool   // POST /connectors with initial_state (3.7, KIP-980)
	PatchConfig  bool   // PATCH /connectors/{c}/config (3.8, KAFKA-16445)
}

// CapabilitiesOf derives the endpoint set from a GET / answer.
func CapabilitiesOf(info ServerInfo) Capabilities {
	v, err := ParseVersion(info.Version)
	if err != nil {
		return Capabilities{Raw: info.Version, Stop: true, GetOffsets: true, AlterOffsets: true, ResetOffsets: true, InitialState: true, PatchConfig: true}
	}
	return Capabilities{
		Version: v, Raw: info.Version, Known: true,
		Stop:         v.AtLeast(3, 5),
		GetOffsets:   v.AtLeast(3, 5),
		AlterOffsets: v.AtLeast(3, 6),
		ResetOffsets: v.AtLeast(3, 6),
		InitialState: v.AtLeast(3, 7),
		PatchConfig:  v.AtLeast(3, 8),
	}
}

// ServerInfo is GET /.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var info ServerInfo
	if err := c.getJSON(ctx, "/", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Capabilities asks GET / once per client and caches the answer.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	if c.info == nil {
		info, err := c.ServerInfo(ctx)
		if err != nil {
			return Capabilities{}, err
		}
		c.info = info
	}
	return CapabilitiesOf(*c.info), nil
}

// require fails with a clear error when the worker's version lacks an
// endpoint, instead of letting an old worker answer a bare 404/405.
func (c *Client) require(ctx context.Context, what, since string, has func(Capabilities) bool) error {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return err
	}
	if has(caps) {
		return nil
	}
	return tooOld(c.base, what, since, caps.Raw)
}

func tooOld(base, what, since, have string) error {
	return cdcops.Errorf(cdcops.ECONFLICT,
		"upgrade Kafka Connect, or use a way that does not need this endpoint (e.g. --via topic for offsets)",
		"%s needs Kafka Connect %s or later, but the worker at %s runs %s", what, since, base, have)
}

// missingEndpoint turns the bare JAX-RS 404/405 an older (or unparseable)
// worker answers for an endpoint it does not have into the version error.
func (c *Client) missingEndpoint(err error, what, since string) error {
	e, ok := AsAPIError(err)
	if !ok || !(e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusNotFound && strings.HasPrefix(e.Message, "HTTP 404")) {
		return err
	}
	have := "an unknown version"
	c.infoMu.Lock()
	if c.info != nil {
		have = c.info.Version
	}
	c.infoMu.Unlock()
	return tooOld(c.base, what, since, have)
}
