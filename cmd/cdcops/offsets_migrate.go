package main

import (
	"context"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsMigrateOptions struct {
	planFlags
	Name     string
	From, To string
}

func newOffsetsMigrateCmd(g *globals) *cobra.Command {
	var opts offsetsMigrateOptions
	cmd := &cobra.Command{
		Use:   "migrate NAME --from CLUSTER --to CLUSTER",
		Short: "Plan moving a source connector and its offsets to another Connect cluster (KIP-980)",
		Long: `Makes a plan that moves a source connector between two clusters named under
clusters: in the config file: stop it on --from, read its offsets (REST),
create it on --to with its live config and initial_state STOPPED (Kafka
Connect 3.7+), PATCH the offsets there, verify, resume it there. The
original is left STOPPED on --from. Apply with ` + "`cdcops plans apply ID`" + `;
rollback stops it on --to and resumes the original.`,
		Example: `  cdcops offsets migrate inventory-connector --from old --to new --dry-run
  cdcops offsets migrate inventory-connector --from old --to new --reason "move off the 3.6 workers" -o json`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsMigrate(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.From, "from", "", "cluster (config clusters: entry) the connector runs on now")
	cmd.Flags().StringVar(&opts.To, "to", "", "cluster to move it to")
	return cmd
}

// clusterEnv is env pointed at a clusters: entry of the config.
func (g *globals) clusterEnv(env surgery.Env, name string) (surgery.Env, cdcops.PlanCluster, error) {
	c, ok := g.cfg.Clusters[name]
	if !ok {
		return env, cdcops.PlanCluster{}, cdcops.Errorf(cdcops.EINVALID, "add it under clusters: in the config file (connect:, bootstrap:)", "unknown cluster %q", name)
	}
	if c.Connect.URL == "" || c.Bootstrap == "" {
		return env, cdcops.PlanCluster{}, cdcops.Errorf(cdcops.EINVALID, "set both clusters."+name+".connect and clusters."+name+".bootstrap in the config file", "cluster %q needs its Kafka Connect URL and its bootstrap servers to migrate", name)
	}
	opts := []connect.Option{connect.WithLogger(g.log)}
	if c.Connect.User != "" && c.Connect.PasswordFile != "" {
		b, err := os.ReadFile(c.Connect.PasswordFile)
		if err != nil {
			return env, cdcops.PlanCluster{}, cdcops.Errorf(cdcops.EINVALID, "check clusters."+name+".connect.password_file", "Kafka Connect password file: %w", err)
		}
		opts = append(opts, connect.WithBasicAuth(c.Connect.User, strings.TrimRight(string(b), "\r\n")))
	}
	env.Connect = connect.New(c.Connect.URL, opts...)
	env.Bootstrap = c.Bootstrap
	return env, cdcops.PlanCluster{Name: name, ConnectURL: env.Connect.URL(), Bootstrap: c.Bootstrap}, nil
}

func runOffsetsMigrate(ctx context.Context, g *globals, o offsetsMigrateOptions) error {
	if o.From == "" || o.To == "" || o.From == o.To {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "", "migrate needs two different clusters: --from A --to B")}
	}
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	from, fc, err := g.clusterEnv(env, o.From)
	if err != nil {
		return err
	}
	to, tc, err := g.clusterEnv(env, o.To)
	if err != nil {
		return err
	}
	p, err := surgery.MakeMigratePlan(ctx, from, to, surgery.MigrateRequest{Name: o.Name, From: fc, To: tc,
		Reason: o.Reason, Ticket: o.Ticket, Actor: g.actor(""), Approvals: g.cfg.Approvals.Required, PauseDownstream: o.PauseDownstream})
	if err != nil {
		return err
	}
	return g.storeAndPrint(ctx, env, p, o.DryRun)
}

// migrateEnvs points env at a migrate plan's source cluster and returns
// the target's, for apply and rollback; other plans are left as they are.
func (g *globals) migrateEnvs(ctx context.Context, env surgery.Env, id string) (surgery.Env, *surgery.Env, error) {
	p, err := surgery.LoadPlan(ctx, env, id)
	if err != nil || p.Migrate == nil {
		return env, nil, nil // Apply reports a missing plan itself
	}
	from, _, err := g.clusterEnv(env, p.Migrate.From.Name)
	if err != nil {
		return env, nil, err
	}
	to, _, err := g.clusterEnv(env, p.Migrate.To.Name)
	if err != nil {
		return env, nil, err
	}
	return from, &to, nil
}
