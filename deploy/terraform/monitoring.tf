# The central Prometheus + Grafana host that deploy/ansible provisions (roles prometheus and
# grafana). Debian 12, because the roles install Debian's prometheus package, which is what
# the test suite runs them against. It sits in a private subnet with no public address and no
# port open to the internet: the in-cluster agent reaches Prometheus on 9090 from the nodes'
# security group, and people (and Ansible) come in through SSM Session Manager (SSH and
# Grafana's port tunnelled), so access is IAM-authenticated and logged in CloudTrail.

data "aws_ami" "debian" {
  most_recent = true
  # Debian's own AWS account (https://wiki.debian.org/Cloud/AmazonEC2Image).
  owners = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

resource "aws_security_group" "monitoring" {
  name_prefix = "${local.name}-monitoring-"
  description = "Central Prometheus and Grafana: remote write from the EKS nodes, outbound HTTP(S) for packages"
  vpc_id      = module.vpc.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "remote_write" {
  security_group_id            = aws_security_group.monitoring.id
  description                  = "Prometheus remote write (and queries) from the EKS nodes, where the agent runs"
  referenced_security_group_id = module.eks.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.prometheus_port
  to_port                      = local.prometheus_port
}

resource "aws_vpc_security_group_egress_rule" "monitoring" {
  # Debian's mirrors (deb.debian.org serves http and https), Grafana's APT repository, the SSM
  # endpoints: all on the internet behind the NAT gateways. Nothing else leaves the host.
  for_each = toset(["80", "443"])

  security_group_id = aws_security_group.monitoring.id
  description       = "Outbound TCP ${each.key} (packages, SSM)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name_prefix        = "${local.name}-monitoring-"
  description        = "Instance role of the monitoring host: SSM Session Manager only"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring_ssm" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "monitoring" {
  name_prefix = "${local.name}-monitoring-"
  role        = aws_iam_role.monitoring.name
}

resource "aws_key_pair" "monitoring" {
  count = var.monitoring_ssh_public_key == null ? 0 : 1

  key_name_prefix = "${local.name}-monitoring-"
  public_key      = var.monitoring_ssh_public_key
}

resource "aws_instance" "monitoring" {
  ami                     = data.aws_ami.debian.id
  instance_type           = var.monitoring_instance_type
  subnet_id               = module.vpc.private_subnets[0]
  vpc_security_group_ids  = [aws_security_group.monitoring.id]
  iam_instance_profile    = aws_iam_instance_profile.monitoring.name
  key_name                = one(aws_key_pair.monitoring[*].key_name)
  disable_api_termination = var.deletion_protection
  monitoring              = true
  ebs_optimized           = true

  # Debian's images do not ship the SSM agent: install it at first boot.
  user_data                   = file("${path.module}/files/monitoring-user-data.sh")
  user_data_replace_on_change = false

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.monitoring_volume_gib
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name = "${local.name}-monitoring"
    Role = "monitoring"
  }

  lifecycle {
    # A newer Debian image must not replace the host (and its Prometheus data): upgrade it
    # in place with apt (Ansible).
    ignore_changes = [ami]
  }
}

resource "aws_route53_zone" "internal" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing applies to public zones; this zone is private to the VPC
  #checkov:skip=CKV2_AWS_39:Route 53 query logging (aws_route53_query_log) exists for public hosted zones only; this zone is private to the VPC
  name    = var.internal_zone
  comment = "Names inside the ${local.name} VPC"

  vpc {
    vpc_id = module.vpc.vpc_id
  }
}

resource "aws_route53_record" "prometheus" {
  zone_id = aws_route53_zone.internal.zone_id
  name    = local.prometheus_host
  type    = "A"
  ttl     = 300
  records = [aws_instance.monitoring.private_ip]
}
