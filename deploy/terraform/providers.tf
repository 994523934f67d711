provider "aws" {
  region = var.region

  # Every resource this stack creates carries these, so cost and ownership are traceable.
  default_tags {
    tags = local.tags
  }
}
