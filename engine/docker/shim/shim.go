// Package shim re-exports the docker Terraform provider's SDKv2 provider for the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream SDKv2 provider (containers, images, networks, volumes, ...).
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
