# What runs in the cluster besides Touchline itself (which the deploy workflow applies with
# Kustomize): the NGINX Ingress Controller behind an AWS Network Load Balancer, the
# ServiceMonitor/PrometheusRule kinds the overlays ship, and the Prometheus agent that scrapes
# every pod's sidecar and remote-writes to the central Prometheus (deploy/ansible).

resource "helm_release" "ingress_nginx" {
  name             = "ingress-nginx"
  repository       = "https://kubernetes.github.io/ingress-nginx"
  chart            = "ingress-nginx"
  version          = var.ingress_nginx_chart_version
  namespace        = "ingress-nginx"
  create_namespace = true
  atomic           = true
  timeout          = 600

  values = [yamlencode({
    controller = {
      replicaCount = var.ingress_replicas
      # The class the Touchline Ingress names (deploy/k8s/base/ingress.yaml).
      ingressClassResource = { name = "nginx", default = false }
      ingressClass         = "nginx"
      resources            = { requests = { cpu = "100m", memory = "90Mi" } }
      podDisruptionBudget  = { enabled = true, minAvailable = 1 }
      topologySpreadConstraints = [{
        maxSkew           = 1
        topologyKey       = "topology.kubernetes.io/zone"
        whenUnsatisfiable = "ScheduleAnyway"
        labelSelector = { matchLabels = {
          "app.kubernetes.io/name"      = "ingress-nginx"
          "app.kubernetes.io/component" = "controller"
        } }
      }]
      service = {
        # Local: the load balancer sends traffic only to nodes running a controller, so the
        # client's address reaches nginx (and the access log the sidecar counts) unchanged.
        externalTrafficPolicy = "Local"
        annotations = {
          "service.beta.kubernetes.io/aws-load-balancer-type"                              = "nlb"
          "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled" = "true"
        }
      }
    }
  })]
}

resource "helm_release" "prometheus_operator_crds" {
  name             = "prometheus-operator-crds"
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "prometheus-operator-crds"
  version          = var.prometheus_operator_crds_chart_version
  namespace        = "monitoring"
  create_namespace = false
  atomic           = true

  depends_on = [kubernetes_namespace_v1.monitoring]
}

resource "kubernetes_namespace_v1" "monitoring" {
  metadata {
    name = "monitoring"
  }
}

locals {
  # deploy/prometheus/agent.yml itself, with this cluster's label and the central server's URL
  # (its other "# env" values, the DNS name of the headless Service and the secret paths, are
  # this cluster's already).
  agent_source = yamldecode(file("${path.module}/../../prometheus/agent.yml"))
  agent_config = merge(local.agent_source, {
    global = merge(local.agent_source.global, {
      external_labels = merge(local.agent_source.global.external_labels, { cluster = var.cluster_label })
    })
    remote_write = [for rw in local.agent_source.remote_write : merge(rw, { url = var.remote_write_url })]
  })
  # Where agent.yml expects its secret files.
  agent_secret_dir = dirname(local.agent_source.remote_write[0].basic_auth.password_file)
  agent_labels = {
    "app.kubernetes.io/name"      = "prometheus-agent"
    "app.kubernetes.io/component" = "metrics"
  }
}

resource "kubernetes_config_map_v1" "agent" {
  metadata {
    name      = "prometheus-agent"
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
  }

  data = {
    "agent.yml" = yamlencode(local.agent_config)
  }
}

resource "kubernetes_secret_v1" "agent" {
  metadata {
    name      = "prometheus-agent"
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
  }

  data = {
    (basename(local.agent_source.remote_write[0].basic_auth.password_file)) = var.remote_write_password
    (basename(local.agent_source.remote_write[0].tls_config.ca_file))       = var.central_ca_certificate
  }

  lifecycle {
    precondition {
      condition     = dirname(local.agent_source.remote_write[0].tls_config.ca_file) == local.agent_secret_dir
      error_message = "deploy/prometheus/agent.yml: password_file and ca_file must be in one directory (the Secret is mounted there)."
    }
  }
}

resource "kubernetes_service_account_v1" "agent" {
  metadata {
    name      = "prometheus-agent"
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
  }
  # DNS discovery: the agent never talks to the Kubernetes API.
  automount_service_account_token = false
}

resource "kubernetes_deployment_v1" "agent" {
  #checkov:skip=CKV_K8S_43:Pinned to an exact release tag by var.agent_image's validation, which also accepts @sha256:<digest>; no registry was reachable to resolve and verify a digest to commit
  metadata {
    name      = "prometheus-agent"
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
    labels    = local.agent_labels
  }

  spec {
    # One agent: two would each send every sample, and the central Prometheus does not
    # deduplicate. Its write-ahead log rides out restarts of the central server; a restarted
    # agent resends from its last checkpoint, and the sidecars' counters are cumulative, so a
    # gap loses resolution, never counts.
    replicas = 1

    strategy {
      type = "Recreate"
    }

    selector {
      match_labels = local.agent_labels
    }

    template {
      metadata {
        labels = local.agent_labels
        annotations = {
          # Roll the pod when the configuration changes.
          "checksum/config" = sha256(yamlencode(local.agent_config))
        }
      }

      spec {
        service_account_name            = kubernetes_service_account_v1.agent.metadata[0].name
        automount_service_account_token = false

        security_context {
          run_as_non_root = true
          run_as_user     = 65534
          run_as_group    = 65534
          fs_group        = 65534
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "prometheus"
          image             = var.agent_image
          image_pull_policy = "Always"
          args = [
            "--agent",
            "--config.file=/etc/prometheus/config/agent.yml",
            "--storage.agent.path=/prometheus",
            "--web.listen-address=:9090",
          ]

          port {
            name           = "http"
            container_port = 9090
          }

          readiness_probe {
            http_get {
              path = "/-/ready"
              port = "http"
            }
            period_seconds = 10
          }

          liveness_probe {
            http_get {
              path = "/-/healthy"
              port = "http"
            }
            period_seconds    = 20
            failure_threshold = 3
          }

          resources {
            requests = { cpu = "100m", memory = "256Mi" }
            limits   = { cpu = "500m", memory = "512Mi" }
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "config"
            mount_path = "/etc/prometheus/config"
            read_only  = true
          }
          volume_mount {
            name       = "secrets"
            mount_path = local.agent_secret_dir
            read_only  = true
          }
          volume_mount {
            name       = "wal"
            mount_path = "/prometheus"
          }
        }

        volume {
          name = "config"
          config_map {
            name = kubernetes_config_map_v1.agent.metadata[0].name
          }
        }
        volume {
          name = "secrets"
          secret {
            secret_name  = kubernetes_secret_v1.agent.metadata[0].name
            default_mode = "0440"
          }
        }
        volume {
          name = "wal"
          empty_dir {
            size_limit = "2Gi"
          }
        }
      }
    }
  }
}
