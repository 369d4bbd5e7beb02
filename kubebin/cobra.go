package main

import (
	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/version"
)

// runCobra runs an upstream component's command exactly as its own main does (cli.Run sets up
// logging and flag normalisation), with our arguments.
func runCobra(args []string, command *cobra.Command) int {
	command.SetArgs(args)
	return cli.Run(command)
}

func serverVersion() string {
	return version.Get().GitVersion
}
