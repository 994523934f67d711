# The node group is sized for the Deployment's requests: with one node gone (a zone outage, a
# node being replaced), the remaining node_min_size - 1 nodes must still schedule the Touchline
# pods at the autoscaler's maximum plus the cluster's add-ons. `terraform plan` fails with the
# numbers if they do not fit. Allocatable capacity is EKS's own arithmetic for its AL2023 images:
# max pods from the instance's network interfaces (VPC CNI without prefix delegation), memory
# reserved for the kubelet (255 MiB + 11 MiB per pod) plus the 100 MiB eviction threshold, and
# CPU reserved on a sliding scale (6% of the first core, 1% of the second, 0.5% of the next two,
# 0.25% of the rest).

data "aws_ec2_instance_type" "node" {
  instance_type = var.node_instance_types[0]
}

locals {
  node_vcpus = data.aws_ec2_instance_type.node.default_vcpus
  node_max_pods = min(110,
    data.aws_ec2_instance_type.node.maximum_network_interfaces * (data.aws_ec2_instance_type.node.maximum_ipv4_addresses_per_interface - 1) + 2
  )
  node_cpu_reserved_m = 60 + (local.node_vcpus >= 2 ? 10 : 0) + min(max(local.node_vcpus - 2, 0), 2) * 5 + max(local.node_vcpus - 4, 0) * 2.5

  # DaemonSets on every node: kube-proxy (100m), aws-node (25m), eks-pod-identity-agent (25m).
  daemonset_cpu_m    = 150
  daemonset_memory_m = 128
  daemonset_pods     = 3

  node_free_cpu_m    = local.node_vcpus * 1000 - local.node_cpu_reserved_m - local.daemonset_cpu_m
  node_free_memory_m = data.aws_ec2_instance_type.node.memory_size - (255 + 11 * local.node_max_pods) - 100 - local.daemonset_memory_m
  node_free_pods     = local.node_max_pods - local.daemonset_pods

  surviving_nodes = var.node_min_size - 1
  needed_cpu_m    = var.workload.max_replicas * var.workload.pod_cpu_millicores + var.workload.addons_cpu_millicores
  needed_memory_m = var.workload.max_replicas * var.workload.pod_memory_mib + var.workload.addons_memory_mib
  needed_pods     = var.workload.max_replicas + var.workload.addons_pods
}

resource "terraform_data" "node_capacity" {
  input = {
    instance_type = var.node_instance_types[0]
    nodes         = local.surviving_nodes
  }

  lifecycle {
    precondition {
      condition     = local.surviving_nodes * local.node_free_cpu_m >= local.needed_cpu_m
      error_message = "CPU: ${local.surviving_nodes} x ${var.node_instance_types[0]} leave ${local.surviving_nodes * local.node_free_cpu_m}m for pods, but ${var.workload.max_replicas} Touchline pods and the add-ons request ${local.needed_cpu_m}m. Raise node_min_size or pick a larger instance type."
    }
    precondition {
      condition     = local.surviving_nodes * local.node_free_memory_m >= local.needed_memory_m
      error_message = "Memory: ${local.surviving_nodes} x ${var.node_instance_types[0]} leave ${local.surviving_nodes * local.node_free_memory_m} MiB for pods, but the pods and add-ons request ${local.needed_memory_m} MiB. Raise node_min_size or pick a larger instance type."
    }
    precondition {
      condition     = local.surviving_nodes * local.node_free_pods >= local.needed_pods
      error_message = "Pods: ${local.surviving_nodes} x ${var.node_instance_types[0]} take ${local.surviving_nodes * local.node_free_pods} more pods (VPC CNI limit), but ${local.needed_pods} are needed. Pick an instance type with more network interfaces or raise node_min_size."
    }
  }
}
