module "eks" {
  # terraform-aws-modules/eks/aws v21.19.0, pinned by the commit of its release tag.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git?ref=bef29c4d9523523e57fe898643fde2895106b339"

  name               = local.name
  kubernetes_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  # Private endpoint always; the public one only for the CIDR blocks given (none by default).
  endpoint_private_access      = true
  endpoint_public_access       = length(var.cluster_endpoint_public_access_cidrs) > 0
  endpoint_public_access_cidrs = var.cluster_endpoint_public_access_cidrs

  # Access entries only (no aws-auth ConfigMap): who may do what is all in this file.
  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = true
  access_entries                           = local.access_entries

  # IRSA: the OIDC provider that lets a Kubernetes service account assume an IAM role
  # (the VPC CNI below uses it; so would the AWS Load Balancer Controller or ExternalDNS).
  enable_irsa = true

  # Secrets encrypted with a KMS key the module creates (rotation on), every control plane log
  # type kept for a year.
  encryption_config                      = { resources = ["secrets"] }
  enable_kms_key_rotation                = true
  enabled_log_types                      = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  deletion_protection                    = var.deletion_protection

  addons = {
    coredns    = {}
    kube-proxy = {}
    # Before the nodes, so they come up with pod networking; its own IRSA role rather than
    # the node role's permissions.
    vpc-cni = {
      before_compute           = true
      service_account_role_arn = module.vpc_cni_irsa.arn
    }
    eks-pod-identity-agent = {
      before_compute = true
    }
  }

  eks_managed_node_groups = {
    default = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size

      # IMDSv2 only, one hop: pods cannot reach the node role's credentials through the
      # instance metadata service.
      metadata_options = {
        http_endpoint               = "enabled"
        http_tokens                 = "required"
        http_put_response_hop_limit = 1
      }

      # Replace nodes one at a time: with the PodDisruptionBudget, the site stays up.
      update_config = {
        max_unavailable = 1
      }

      labels = {
        "touchline.io/pool" = "default"
      }
    }
  }
}

module "vpc_cni_irsa" {
  # terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts v6.5.0, pinned by the commit of its release tag.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts?ref=981121bcd17618b8ed032223c0d9e647b9277ef9"

  name                  = "${local.name}-vpc-cni"
  attach_vpc_cni_policy = true
  vpc_cni_enable_ipv4   = true

  oidc_providers = {
    cluster = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:aws-node"]
    }
  }
}

locals {
  admin_policy_arn = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  admin_access_entries = {
    for i, arn in var.cluster_admin_arns : "admin-${i}" => {
      principal_arn = arn
      policy_associations = {
        admin = {
          policy_arn   = local.admin_policy_arn
          access_scope = { type = "cluster" }
        }
      }
    }
  }

  # The deploy workflow applies the whole prod overlay, Namespace included (a cluster-scoped
  # object), and rolls back: cluster scope. Only the main branch and the production environment
  # can assume the role (ci.tf).
  ci_access_entries = var.github_repository == null ? {} : {
    ci = {
      principal_arn = module.ci_role[0].arn
      policy_associations = {
        deploy = {
          policy_arn   = local.admin_policy_arn
          access_scope = { type = "cluster" }
        }
      }
    }
  }

  access_entries = merge(local.admin_access_entries, local.ci_access_entries)
}
