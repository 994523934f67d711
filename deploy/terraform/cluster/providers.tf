# The cluster comes from deploy/terraform (a separate stack and apply: providers configured from
# resources created in the same apply are a known Terraform pitfall). Credentials are the
# caller's AWS identity, exchanged for a Kubernetes token by `aws eks get-token`, so the caller
# needs an access entry (deploy/terraform's cluster_admin_arns, or having created the cluster).

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "touchline"
      Stack     = "cluster"
      ManagedBy = "terraform"
    }
  }
}

data "aws_eks_cluster" "this" {
  name = var.cluster_name
}

locals {
  kube_host       = data.aws_eks_cluster.this.endpoint
  kube_ca         = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)
  kube_token_args = ["eks", "get-token", "--region", var.region, "--cluster-name", var.cluster_name]
}

provider "kubernetes" {
  host                   = local.kube_host
  cluster_ca_certificate = local.kube_ca

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "aws"
    args        = local.kube_token_args
  }
}

provider "helm" {
  kubernetes = {
    host                   = local.kube_host
    cluster_ca_certificate = local.kube_ca
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = local.kube_token_args
    }
  }
}
