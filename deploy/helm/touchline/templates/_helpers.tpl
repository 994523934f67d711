{{/* Name of every object: the release name, or <release>-touchline when it lacks "touchline". */}}
{{- define "touchline.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "touchline.labels" -}}
app.kubernetes.io/name: touchline
app.kubernetes.io/part-of: touchline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Pod selector: the same labels as the Kustomize base, so both select the same pods. */}}
{{- define "touchline.selectorLabels" -}}
app.kubernetes.io/name: touchline
app.kubernetes.io/component: web
{{- end -}}

{{- define "touchline.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
