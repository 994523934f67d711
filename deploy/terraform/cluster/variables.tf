variable "region" {
  description = "AWS region of the cluster (deploy/terraform's output region)."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-2."
  }
}

variable "cluster_name" {
  description = "EKS cluster to install into (deploy/terraform's output cluster_name)."
  type        = string
  default     = "touchline-prod"

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be an EKS cluster name (letters, digits, hyphens and underscores)."
  }
}

variable "ingress_nginx_chart_version" {
  description = "Version of the ingress-nginx Helm chart (the controller of IngressClass nginx, which the Touchline Ingress names). 4.12.2 is controller 1.12.2."
  type        = string
  default     = "4.12.2"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.ingress_nginx_chart_version))
    error_message = "ingress_nginx_chart_version must be an exact chart version such as 4.12.2."
  }
}

variable "ingress_replicas" {
  description = "Ingress controller replicas (spread over zones; a PodDisruptionBudget keeps one up)."
  type        = number
  default     = 2

  validation {
    condition     = var.ingress_replicas >= 2 && var.ingress_replicas <= 10
    error_message = "ingress_replicas must be 2 to 10: one controller is a single point of failure."
  }
}

variable "prometheus_operator_crds_chart_version" {
  description = "Version of the prometheus-operator-crds chart: the ServiceMonitor and PrometheusRule kinds that the Kustomize overlays and the Helm chart ship (no operator runs; the agent below scrapes)."
  type        = string
  default     = "16.0.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.prometheus_operator_crds_chart_version))
    error_message = "prometheus_operator_crds_chart_version must be an exact chart version such as 16.0.0."
  }
}

variable "agent_image" {
  description = "Prometheus image of the in-cluster agent, pinned by version (3.x: agent mode is the --agent flag)."
  type        = string
  default     = "quay.io/prometheus/prometheus:v3.5.0"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(/[a-z0-9._-]+)+:v3\\.[0-9]+\\.[0-9]+(@sha256:[0-9a-f]{64})?$", var.agent_image))
    error_message = "agent_image must be a Prometheus 3 image pinned to a version (repository:v3.X.Y, optionally @sha256:digest)."
  }
}

variable "remote_write_url" {
  description = "The central Prometheus's remote-write endpoint (deploy/terraform's output prometheus_remote_write_url)."
  type        = string
  default     = "https://prometheus.touchline.internal:9090/api/v1/write"

  validation {
    condition     = can(regex("^https://[a-z0-9.-]+(:[0-9]+)?/api/v1/write$", var.remote_write_url))
    error_message = "remote_write_url must be an https URL ending in /api/v1/write (the agent sends a password: never over plain HTTP)."
  }
}

variable "cluster_label" {
  description = "The agent's external label cluster=<this> on every series it forwards (deploy/terraform's output agent_cluster_label)."
  type        = string
  default     = "touchline-prod"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.cluster_label))
    error_message = "cluster_label must be lowercase letters, digits and hyphens."
  }
}

variable "remote_write_password" {
  description = "Password of user touchline-agent on the central Prometheus (the plain text of the bcrypt hash in deploy/ansible's vault). Kept in a Kubernetes Secret, and in this stack's state: keep the state bucket encrypted and private."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.remote_write_password) >= 20
    error_message = "remote_write_password must be at least 20 characters."
  }
}

variable "central_ca_certificate" {
  description = "PEM certificate of the authority that signed the central Prometheus's TLS certificate (the agent verifies the server with it)."
  type        = string

  validation {
    condition     = startswith(trimspace(var.central_ca_certificate), "-----BEGIN CERTIFICATE-----")
    error_message = "central_ca_certificate must be a PEM certificate."
  }
}
