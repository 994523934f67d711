terraform {
  # 1.9: a variable's validation may refer to other variables (the node group's sizes).
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    # >= 6.28 is what the pinned community modules below require.
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
    # Used inside the EKS module (OIDC thumbprint, waits); pinned here so upgrades are deliberate.
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.13"
    }
  }

  # Partial configuration: the bucket, key and region come from a file at init time
  # (`terraform init -backend-config=backend.s3.tfbackend`; see backend.s3.tfbackend.example),
  # so no account-specific name is committed. CI runs `terraform init -backend=false`.
  backend "s3" {}
}
