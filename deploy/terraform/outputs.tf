# What the next steps need (deploy/README.md, "From nothing to a running cluster"): the cluster
# for kubectl and deploy/terraform/cluster, the registries and role for CI, the subnets the
# ingress controller's load balancer lands in, and the monitoring host for Ansible.

output "region" {
  description = "AWS region of the stack."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name <this>; deploy/terraform/cluster's cluster_name)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "The API server's CA certificate, base64."
  value       = module.eks.cluster_certificate_authority_data
}

output "kubeconfig_command" {
  description = "Writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "oidc_provider_arn" {
  description = "The cluster's IRSA OIDC provider, for further service-account roles."
  value       = module.eks.oidc_provider_arn
}

output "vpc_id" {
  description = "The VPC."
  value       = module.vpc.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets (tagged kubernetes.io/role/elb): where the ingress controller's internet-facing load balancer goes."
  value       = module.vpc.public_subnets
}

output "private_subnet_ids" {
  description = "Private subnets: nodes, pods and the monitoring host."
  value       = module.vpc.private_subnets
}

output "ecr_repository_urls" {
  description = "Image repositories by image (site, sidecar): the deploy workflow's REGISTRY is their common prefix."
  value       = { for image, repo in module.ecr : image => repo.repository_url }
}

output "registry" {
  description = "The ECR registry host, for the deploy workflow's REGISTRY variable."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.region}.amazonaws.com"
}

output "ci_role_arn" {
  description = "Role for the deploy workflow (repository variable AWS_ROLE_ARN); null without github_repository."
  value       = one(module.ci_role[*].arn)
}

output "monitoring_instance_id" {
  description = "The monitoring host's instance id: Ansible's ansible_host, tunnelled through SSM."
  value       = aws_instance.monitoring.id
}

output "monitoring_private_ip" {
  description = "The monitoring host's private address."
  value       = aws_instance.monitoring.private_ip
}

output "prometheus_remote_write_url" {
  description = "Where the in-cluster agent remote-writes (deploy/terraform/cluster's remote_write_url); the host's TLS certificate must name its host."
  value       = "https://${local.prometheus_host}:${local.prometheus_port}/api/v1/write"
}

output "agent_cluster_label" {
  description = "The agent's external label cluster=<this> (deploy/terraform/cluster's cluster_label)."
  value       = local.name
}
