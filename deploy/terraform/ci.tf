# The role the deploy workflow (.github/workflows/deploy.yml) assumes with GitHub's OIDC token:
# no long-lived AWS key in GitHub. Only runs on main and in the production environment may
# assume it; it may push to the two repositories (their repository policy, ecr.tf), log in to
# ECR, and find the cluster (its Kubernetes rights are the access entry in eks.tf).

module "github_oidc_provider" {
  # terraform-aws-modules/iam/aws//modules/iam-oidc-provider v6.5.0, pinned by the commit of its release tag.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-oidc-provider?ref=981121bcd17618b8ed032223c0d9e647b9277ef9"
  count  = var.github_repository != null && var.create_github_oidc_provider ? 1 : 0
}

data "aws_iam_policy_document" "ci" {
  statement {
    sid = "EcrLogin"
    # GetAuthorizationToken has no resource-level permissions: "*" is the only resource it takes.
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "FindCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [module.eks.cluster_arn]
  }
}

module "ci_role" {
  # terraform-aws-modules/iam/aws//modules/iam-role v6.5.0, pinned by the commit of its release tag.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role?ref=981121bcd17618b8ed032223c0d9e647b9277ef9"
  count  = var.github_repository == null ? 0 : 1

  name               = "${local.name}-deploy"
  use_name_prefix    = false
  enable_github_oidc = true
  oidc_subjects = [
    "repo:${var.github_repository}:ref:refs/heads/main",
    "repo:${var.github_repository}:environment:production",
  ]

  create_inline_policy           = true
  source_inline_policy_documents = [data.aws_iam_policy_document.ci.json]

  # The provider must exist before the role's trust policy can name it.
  depends_on = [module.github_oidc_provider]
}
