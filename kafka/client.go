package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// Client is a connection to one Kafka cluster.
type Client struct {
	bootstrap []string
	cl        *kgo.Client
	adm       *kadm.Client
	opts      []kgo.Opt
}

// Timeouts bound every network step so an unreachable broker is one quick,
// clear error instead of a hang.
const (
	dialTimeout = 3 * time.Second
	pingTimeout = 8 * time.Second
)

// Dial connects to the cluster at bootstrap (comma-separated HOST:PORT
// list) and checks that a broker answers. Extra options are appended to
// the client's (e.g. SASL/TLS).
func Dial(ctx context.Context, bootstrap string, extra ...kgo.Opt) (*Client, error) {
	seeds := splitSeeds(bootstrap)
	if len(seeds) == 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --bootstrap HOST:PORT", "no Kafka bootstrap address given")
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(dialTimeout),
		kgo.RequestRetries(2),
		kgo.RetryTimeout(pingTimeout),
		kgo.WithLogger(nil),
	}
	opts := append(base, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "check --bootstrap", "kafka client for %s: %w", bootstrap, err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, unavailable(bootstrap, err)
	}
	return &Client{bootstrap: seeds, cl: cl, adm: kadm.NewClient(cl), opts: opts}, nil
}

func unavailable(bootstrap string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &cdcops.Error{Code: cdcops.EUNAVAILABLE, Hint: "check that Kafka runs there, or pass --bootstrap HOST:PORT",
		Msg: "cannot reach Kafka at " + bootstrap, Err: err}
}

func splitSeeds(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Close releases the connection.
func (c *Client) Close() { c.cl.Close() }

// Kgo returns the underlying franz-go client (for tests and writers).
func (c *Client) Kgo() *kgo.Client { return c.cl }

// Bootstrap is the seed list the client was dialled with.
func (c *Client) Bootstrap() string { return strings.Join(c.bootstrap, ",") }

// ClusterID returns the Kafka cluster id from broker metadata.
func (c *Client) ClusterID(ctx context.Context) (string, error) {
	md, err := c.adm.BrokerMetadata(ctx)
	if err != nil {
		return "", unavailable(c.Bootstrap(), fmt.Errorf("metadata: %w", err))
	}
	return md.Cluster, nil
}

type kadmOffsetResponse = kadm.OffsetResponse
