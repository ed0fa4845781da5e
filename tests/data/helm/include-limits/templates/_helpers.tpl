{{- define "jobs.container" -}}
- name: job
  image: {{ .Values.image }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
{{- end }}
