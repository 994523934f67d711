data "kubernetes_service_v1" "ingress" {
  metadata {
    name      = "ingress-nginx-controller"
    namespace = helm_release.ingress_nginx.namespace
  }
}

output "ingress_hostname" {
  description = "The Network Load Balancer in front of the ingress controller: point the site's DNS name (the Ingress host) at it with a CNAME or an alias record."
  value       = try(data.kubernetes_service_v1.ingress.status[0].load_balancer[0].ingress[0].hostname, null)
}

output "agent_config" {
  description = "The agent configuration running in the cluster (deploy/prometheus/agent.yml with this cluster's values)."
  value       = kubernetes_config_map_v1.agent.data["agent.yml"]
}
