module "vpc" {
  # terraform-aws-modules/vpc/aws v6.6.0, pinned by the commit of its release tag.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=82d1929e669efef4e2ad00611b8a68e7a56e049c"

  name = local.name
  cidr = var.vpc_cidr
  azs  = local.azs

  # Private: 1/16 of the VPC per AZ (a /20 of a /16: the VPC CNI gives each pod a VPC address).
  # Public: 1/256 per AZ, placed right after the private ones.
  private_subnets = [for i in range(local.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i in range(local.az_count) : cidrsubnet(var.vpc_cidr, 8, local.az_count * 16 + i)]

  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway

  enable_dns_hostnames = true
  enable_dns_support   = true

  # Where the ingress controller's Service of type LoadBalancer puts its (internet-facing) load
  # balancer, and where internal ones would go.
  public_subnet_tags = {
    "kubernetes.io/role/elb" = 1
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = 1
  }

  # The default security group denies everything; nothing here uses it.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []

  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_max_aggregation_interval               = 60
  flow_log_cloudwatch_log_group_retention_in_days = var.log_retention_days
}
