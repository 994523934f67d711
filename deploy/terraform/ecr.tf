# <name>-site and <name>-sidecar: tags are immutable (a deployed tag always means the same
# image; the deploy workflow tags with the commit SHA), every push is scanned, images are
# encrypted with KMS, and old images expire.
module "ecr" {
  # terraform-aws-modules/ecr/aws v3.2.0, pinned by the commit of its release tag.
  source   = "git::https://github.com/terraform-aws-modules/terraform-aws-ecr.git?ref=b6ef04d088cf91d5ba9505132e9ff7c9f847ed5d"
  for_each = local.images

  repository_name                 = "${var.name}-${each.key}"
  repository_image_tag_mutability = "IMMUTABLE"
  repository_image_scan_on_push   = true
  repository_encryption_type      = "KMS"

  # Pushing is the CI role's (when there is one); the nodes pull with their role's
  # AmazonEC2ContainerRegistryReadOnly.
  repository_read_write_access_arns = var.github_repository == null ? [] : [module.ci_role[0].arn]

  create_lifecycle_policy = true
  repository_lifecycle_policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images (layers of interrupted or replaced pushes) after a week"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.ecr_keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
