variable "name" {
  description = "Name of the stack: prefix of the VPC, the EKS cluster, the ECR repositories (<name>-site, <name>-sidecar) and the monitoring host."
  type        = string
  default     = "touchline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.name))
    error_message = "name must be 3-22 characters of lowercase letters, digits and hyphens, starting with a letter (it prefixes IAM role names, which are limited to 64 characters)."
  }
}

variable "environment" {
  description = "Environment label (tag Environment, and the agent's external label cluster=<name>-<environment>)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters and digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to create everything in."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-2 or us-gov-west-1."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged over Project, Environment and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "vpc_cidr" {
  description = "The VPC's IPv4 range, /16 to /19. Each AZ gets a private subnet of 1/16 of it (nodes and pods: the VPC CNI gives every pod a VPC address) and a public subnet of 1/256 (NAT gateways and the ingress load balancer)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 19, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /19, e.g. 10.40.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread subnets, NAT gateways and nodes over, as letters of the region's zone names (eu-west-2a, -b, -c by default). Named rather than \"the first N\", so the set never shifts when AWS adds a zone."
  type        = list(string)
  default     = ["a", "b", "c"]

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 6 && length(distinct(var.availability_zones)) == length(var.availability_zones) && alltrue([for z in var.availability_zones : can(regex("^[a-z]$", z))])
    error_message = "availability_zones must be 2 (EKS needs subnets in two zones) to 6 distinct zone letters, such as [\"a\", \"b\", \"c\"]."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC instead of one per AZ: cheaper, but losing its AZ cuts every private subnet off the internet (image pulls, the Grafana repository)."
  type        = bool
  default     = false
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the project validates its manifests against 1.33)."
  type        = string
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.(2[89]|3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.33."
  }
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the cluster's API over the internet (your office or VPN, the CI runners). Empty keeps the endpoint private: reachable from inside the VPC only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_endpoint_public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "Every cluster_endpoint_public_access_cidrs entry must be a valid IPv4 CIDR block, and not 0.0.0.0/0 (the whole internet)."
  }
}

variable "cluster_admin_arns" {
  description = "IAM principals (role or user ARNs) given cluster-admin access, besides whoever runs terraform apply."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cluster_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "cluster_admin_arns entries must be IAM role or user ARNs."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group, in order of preference (capacity.tf checks the first one against the workload's requests)."
  type        = list(string)
  default     = ["t3.medium"]

  validation {
    condition     = length(var.node_instance_types) > 0 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must list at least one instance type such as t3.medium."
  }
}

variable "node_min_size" {
  description = "Minimum nodes. The default, 3, is one per AZ, so the Deployment's topology spread and PodDisruptionBudget hold through a node or zone loss."
  type        = number
  default     = 3

  validation {
    condition     = var.node_min_size >= 2
    error_message = "node_min_size must be at least 2: capacity.tf sizes the group to survive losing one node."
  }
}

variable "node_desired_size" {
  description = "Nodes at creation (the cluster autoscaler, if you add one, moves it between min and max)."
  type        = number
  default     = 3

  validation {
    condition     = var.node_desired_size >= var.node_min_size && var.node_desired_size <= var.node_max_size
    error_message = "node_desired_size must lie between node_min_size and node_max_size."
  }
}

variable "node_max_size" {
  description = "Maximum nodes."
  type        = number
  default     = 6

  validation {
    condition     = var.node_max_size >= var.node_min_size && var.node_max_size <= 100
    error_message = "node_max_size must be at least node_min_size, and at most 100."
  }
}

variable "workload" {
  description = "What the nodes must hold: the Touchline pod's requests (the sum over its containers in deploy/k8s/base/deployment.yaml), the HorizontalPodAutoscaler's maxReplicas (deploy/k8s/overlays/prod/hpa.yaml), and the cluster-wide add-ons' requests (CoreDNS, the ingress controller, the Prometheus agent). deploy/tests/check_terraform.py fails if the pod's numbers drift from the manifests."
  type = object({
    pod_cpu_millicores    = number
    pod_memory_mib        = number
    max_replicas          = number
    addons_cpu_millicores = number
    addons_memory_mib     = number
    addons_pods           = number
  })
  default = {
    pod_cpu_millicores    = 70
    pod_memory_mib        = 48
    max_replicas          = 10
    addons_cpu_millicores = 700
    addons_memory_mib     = 750
    addons_pods           = 8
  }

  validation {
    condition     = alltrue([for v in values(var.workload) : v > 0])
    error_message = "Every workload figure must be positive."
  }
}

variable "ecr_keep_images" {
  description = "Tagged images each ECR repository keeps (older ones expire): enough to roll back across several releases."
  type        = number
  default     = 50

  validation {
    condition     = var.ecr_keep_images >= 10 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be between 10 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the EKS control plane logs and the VPC flow logs in CloudWatch."
  type        = number
  default     = 365

  validation {
    # The values CloudWatch Logs accepts (checkov CKV_AWS_338 wants at least a year).
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least a year: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "deletion_protection" {
  description = "Protect the EKS cluster and the monitoring host from deletion (turn off before terraform destroy)."
  type        = bool
  default     = true
}

variable "monitoring_instance_type" {
  description = "Instance type of the central Prometheus + Grafana host (deploy/ansible provisions it)."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.monitoring_instance_type))
    error_message = "monitoring_instance_type must be an instance type such as t3.small."
  }
}

variable "monitoring_volume_gib" {
  description = "Root volume of the monitoring host, which holds Prometheus's TSDB: keep it above the Ansible role's prometheus_retention_size (20GB by default) plus the system."
  type        = number
  default     = 40

  validation {
    condition     = var.monitoring_volume_gib >= 30 && var.monitoring_volume_gib <= 16384
    error_message = "monitoring_volume_gib must be between 30 and 16384."
  }
}

variable "monitoring_ssh_public_key" {
  description = "SSH public key for the monitoring host's admin user (Ansible connects over SSH tunnelled through SSM Session Manager: no port is open to the internet). Null: no key pair."
  type        = string
  default     = null

  validation {
    condition     = var.monitoring_ssh_public_key == null || can(regex("^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]+", var.monitoring_ssh_public_key))
    error_message = "monitoring_ssh_public_key must be an OpenSSH public key (ssh-ed25519, ecdsa-sha2-* or ssh-rsa)."
  }
}

variable "internal_zone" {
  description = "Private Route 53 zone of the VPC; the central Prometheus is prometheus.<internal_zone> (its TLS certificate must name it)."
  type        = string
  default     = "touchline.internal"

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.internal_zone))
    error_message = "internal_zone must be a DNS name such as touchline.internal."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose deploy workflow may push images and deploy, through an IAM role it assumes with GitHub's OIDC token. Null: no CI role."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's IAM OIDC provider for token.actions.githubusercontent.com (an account has at most one: set false if it exists already)."
  type        = bool
  default     = true
}
