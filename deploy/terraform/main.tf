# Touchline on AWS: a VPC over three availability zones, an EKS cluster whose managed node
# group holds the Deployment at its autoscaler's maximum, two ECR repositories (site and
# sidecar), and the host of the central Prometheus + Grafana that the in-cluster agent
# remote-writes to (deploy/ansible provisions it; deploy/terraform/cluster runs the agent).
# deploy/README.md walks from nothing to a running cluster.

data "aws_availability_zones" "selected" {
  state = "available"

  filter {
    name   = "zone-name"
    values = [for z in var.availability_zones : "${var.region}${z}"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == length(var.availability_zones)
      error_message = "Not every zone of availability_zones is available in ${var.region}: found ${join(", ", self.names)}."
    }
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  name     = "${var.name}-${var.environment}"
  azs      = data.aws_availability_zones.selected.names
  az_count = length(var.availability_zones)

  tags = merge(var.tags, {
    Project     = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # The images the Kustomize overlays and the Helm chart name (touchline-site, touchline-sidecar).
  images = toset(["site", "sidecar"])

  # The central Prometheus's name inside the VPC, and the URL the agent writes to.
  prometheus_host = "prometheus.${var.internal_zone}"
  prometheus_port = 9090
}
