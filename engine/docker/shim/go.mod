// The docker Terraform provider keeps its provider constructor in an internal package. Go lets a
// package import internal/ only from below the internal folder's parent import path, so this tiny
// module lives under the upstream module's path (by the replace in ../go.mod) to re-export it.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.26
