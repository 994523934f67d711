#!/bin/bash
# First boot of the monitoring host (monitoring.tf): Debian's images have no SSM agent, and
# Session Manager is the only way in (no SSH port is open). Installs AWS's package from the
# region's own bucket, as AWS documents for Debian; Ansible does everything else.
set -euo pipefail

imds=http://169.254.169.254/latest
token=$(curl -fsS -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
region=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/placement/region")

deb=$(mktemp --suffix=.deb)
trap 'rm -f "$deb"' EXIT
curl -fsSL --retry 5 -o "$deb" \
  "https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_amd64/amazon-ssm-agent.deb"
dpkg -i "$deb"
systemctl enable --now amazon-ssm-agent
