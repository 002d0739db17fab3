// Command pulumi-resource-docker is the Docker resource provider for this project's real-engine runs.
//
// Upstream's pulumi-docker provider module cannot be fetched through the Go module proxy here (see
// docs/adr/0004-real-engine-from-go-modules.md), so this wrapper bridges the same Terraform provider
// that pulumi-docker bridges (kreuzwerker/terraform-provider-docker) with the same bridge, mapping the
// resources this project uses to the type tokens and property names of the @pulumi/docker SDK.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// version is set at build time (-X main.version=...).
var version = "0.0.0-dev"

func resource(name string) *tfbridge.ResourceInfo {
	module := "index/" + string(name[0]+('a'-'A')) + name[1:]
	return &tfbridge.ResourceInfo{Tok: tokens.Type("docker:" + module + ":" + name)}
}

func providerInfo() tfbridge.ProviderInfo {
	container := resource("Container")
	// The SDK's Container is replaced delete-first (a fixed container name cannot exist twice).
	container.DeleteBeforeReplace = true
	container.Fields = map[string]*tfbridge.SchemaInfo{
		// One command, although a list: the SDK keeps the singular name.
		"command":           {Name: "command"},
		"networks_advanced": {Name: "networksAdvanced"},
	}
	image := resource("RemoteImage")
	image.Fields = map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}

	info := tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(shim.NewProvider(version)),
		Name:    "docker",
		Version: version,
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{
				Value:   "unix:///var/run/docker.sock",
				EnvVars: []string{"DOCKER_HOST"},
			}},
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": container,
			"docker_image":     image,
			"docker_network":   resource("Network"),
			"docker_volume":    resource("Volume"),
			"docker_tag":       resource("Tag"),
		},
		IgnoreMappings: []string{
			"docker_buildx_builder", "docker_config", "docker_plugin", "docker_registry_image",
			"docker_secret", "docker_service",
		},
	}
	info.SetAutonaming(255, "-")
	return info
}

func main() {
	// No embedded schema: the engine asks for one only for code generation, which this build does not serve.
	tfbridge.Main("docker", version, providerInfo(), []byte(`{"name":"docker","version":"`+version+`"}`))
}
