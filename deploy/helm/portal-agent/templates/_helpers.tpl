{{/* Names and labels shared by every manifest. */}}
{{- define "portal-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "portal-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "portal-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "portal-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "portal-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portal-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "portal-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "portal-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "portal-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "portal-agent.secretName" -}}
{{- default (include "portal-agent.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The secret settings: values key -> environment variable. */}}
{{- define "portal-agent.secretEnv" -}}
databaseUrl: PORTAL_AGENT_DATABASE_URL
modelApiKey: PORTAL_AGENT_MODEL_API_KEY
backstageToken: PORTAL_AGENT_BACKSTAGE_TOKEN
githubToken: PORTAL_AGENT_GITHUB_TOKEN
slackBotToken: PORTAL_AGENT_SLACK_BOT_TOKEN
slackSigningSecret: PORTAL_AGENT_SLACK_SIGNING_SECRET
slackAppToken: PORTAL_AGENT_SLACK_APP_TOKEN
webApiTokens: PORTAL_AGENT_WEB_API_TOKENS
{{- end }}

{{/* Refuse values that would deploy something broken, each with the value to change. */}}
{{- define "portal-agent.validate" -}}
{{- $secretEnv := include "portal-agent.secretEnv" . | fromYaml }}
{{- range $key, $_ := .Values.config }}
{{- $env := printf "PORTAL_AGENT_%s" (upper $key) }}
{{- range $field, $name := $secretEnv }}
{{- if eq $name $env }}
{{- fail (printf "config.%s is a secret setting: set secrets.%s (or a key %s in existingSecret) instead" $key $field $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- $replicas := ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled }}
{{- if and (gt (int $replicas) 1) (not .Values.existingSecret) (not .Values.secrets.databaseUrl) }}
{{- fail "more than one replica (replicaCount or autoscaling) shares state through PostgreSQL: set secrets.databaseUrl or an existingSecret holding PORTAL_AGENT_DATABASE_URL" }}
{{- end }}
{{- if and .Values.slackSocketMode.enabled (not .Values.existingSecret) (not (and .Values.secrets.slackBotToken .Values.secrets.slackAppToken)) }}
{{- fail "slackSocketMode.enabled needs secrets.slackBotToken and secrets.slackAppToken (or an existingSecret holding both)" }}
{{- end }}
{{- if and .Values.slackSocketMode.enabled (not .Values.existingSecret) (not .Values.secrets.databaseUrl) }}
{{- fail "slackSocketMode.enabled runs a second process that shares conversations and approvals with the server through PostgreSQL: set secrets.databaseUrl (or an existingSecret holding PORTAL_AGENT_DATABASE_URL)" }}
{{- end }}
{{- if and .Values.rbac.remediation.nodes (eq .Values.rbac.scope "namespace") }}
{{- fail "rbac.remediation.nodes (cordon) patches cluster-scoped Nodes: it needs rbac.scope=cluster" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is larger than autoscaling.maxReplicas" }}
{{- end }}
{{- if ge (int .Values.shutdownGraceSeconds) (int .Values.terminationGracePeriodSeconds) }}
{{- fail "shutdownGraceSeconds must be shorter than terminationGracePeriodSeconds, or Kubernetes kills runs the server is still finishing" }}
{{- end }}
{{- end }}

{{/* The environment every portal-agent container gets (settings from the ConfigMap and Secret). */}}
{{- define "portal-agent.envFrom" -}}
- configMapRef:
    name: {{ include "portal-agent.fullname" . }}
- secretRef:
    name: {{ include "portal-agent.secretName" . }}
{{- end }}

{{- define "portal-agent.volumes" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (include "portal-agent.fullname" .) .Values.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end }}

{{- define "portal-agent.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "portal-agent.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- /* What the Kubernetes tools read (tools/kubernetes/client.py KINDS); never Secrets. */}}
{{- define "portal-agent.readRules" -}}
- apiGroups: [""]
  resources: [pods, pods/log, services, events, persistentvolumeclaims{{ if . }}, nodes{{ end }}]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, replicasets, statefulsets, daemonsets]
  verbs: [get, list, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, list, watch]
- apiGroups: [batch]
  resources: [cronjobs, jobs]
  verbs: [get, list, watch]
{{- end }}
{{- /* The approval-gated remediations' writes (tools/kubernetes/remediations): restart and
rollback patch workloads, scale patches the scale subresource or the HPA, delete_pod deletes a pod. */}}
{{- define "portal-agent.remediationRules" -}}
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets, deployments/scale, statefulsets/scale]
  verbs: [patch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [delete]
{{- end }}
