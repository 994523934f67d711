terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.36"
    }
    # 3.x: `kubernetes` and `exec` are attributes, not blocks (providers.tf).
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
  }

  # Partial configuration, as in deploy/terraform: a different key in the same bucket.
  backend "s3" {}
}
