// Command hubfleet-kube is one binary holding a Kubernetes control plane built from upstream
// source: it runs as kube-apiserver, kube-controller-manager, kube-scheduler, etcd or kwok,
// chosen by the name it is called by (a symlink) or by its first argument.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.etcd.io/etcd/server/v3/etcdmain"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

var components = map[string]func(args []string) int{
	"kube-apiserver": func(args []string) int {
		return runCobra(args, apiserver.NewAPIServerCommand())
	},
	"kube-controller-manager": func(args []string) int {
		return runCobra(args, controllermanager.NewControllerManagerCommand())
	},
	"kube-scheduler": func(args []string) int {
		return runCobra(args, scheduler.NewSchedulerCommand())
	},
	"etcd": func(args []string) int {
		etcdmain.Main(append([]string{"etcd"}, args...))
		return 0
	},
	"kwok":        runKwok,
	"kwok-stages": kwokStages,
}

func main() {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	args := os.Args[1:]
	if _, ok := components[name]; !ok && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	run, ok := components[name]
	if !ok {
		if name == "version" {
			fmt.Println(serverVersion())
			return
		}
		fmt.Fprintf(os.Stderr, "usage: hubfleet-kube {kube-apiserver|kube-controller-manager|kube-scheduler|etcd|kwok|kwok-stages|version} [flags]\n")
		os.Exit(2)
	}
	os.Exit(run(args))
}
