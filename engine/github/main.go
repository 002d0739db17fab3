// Command pulumi-resource-github is the GitHub resource provider for this project's real-engine runs.
//
// Upstream's pulumi-github provider module is not served by the Go module proxy here (docs/adr/0004),
// so this wrapper bridges the Terraform provider pulumi-github bridges, with the type tokens and the
// property shapes of the @pulumi/github SDK for the resources the release gate uses.
package main

import (
	"github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// version is set at build time (-X main.version=...).
var version = "0.0.0-dev"

func resource(name string) *tfbridge.ResourceInfo {
	module := "index/" + string(name[0]+('a'-'A')) + name[1:]
	return &tfbridge.ResourceInfo{Tok: tokens.Type("github:" + module + ":" + name)}
}

func providerInfo() tfbridge.ProviderInfo {
	environment := resource("RepositoryEnvironment")
	// The SDK keeps reviewers a list although Terraform allows one block.
	environment.Fields = map[string]*tfbridge.SchemaInfo{"reviewers": {MaxItemsOne: tfbridge.False()}}
	info := tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(github.NewProvider(version, "image-lifecycle")()),
		Name:    "github",
		Version: version,
		Resources: map[string]*tfbridge.ResourceInfo{
			"github_repository_environment": environment,
			"github_actions_variable":       resource("ActionsVariable"),
		},
	}
	info.SetAutonaming(255, "-")
	return info
}

func main() {
	tfbridge.Main("github", version, providerInfo(), []byte(`{"name":"github","version":"`+version+`"}`))
}
