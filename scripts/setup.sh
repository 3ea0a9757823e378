#!/usr/bin/env bash
# Installs every Debian 12 package runbook needs to build, test and run.
# Idempotent; run as root (or through sudo). Prints what it installs.
set -euo pipefail

pkgs=(
  # build
  build-essential meson ninja-build pkg-config
  libyaml-dev libjq-dev libonig-dev libcurl4-openssl-dev libssl-dev libpq-dev
  libhiredis-dev libpcre2-dev libxml2-dev libmicrohttpd-dev libgnutls28-dev
  # test
  postgresql redis-server python3 python3-botocore jq curl procps util-linux
  python3-jsonschema   # tests/journal, tests/schema: journals, runbooks and scenarios against their JSON Schemas
  python3-yaml   # tests/schema: the tree's YAML files for python3-jsonschema
  graphviz   # tests/cli/plan: `dot` checks the output of runbook graph
  libxml2-utils   # tests/report: xmllint checks the SVG timeline and the JUnit report
  man-db tmux   # tests/cli: man pages render without warnings; the live display on a terminal
  zsh   # tests/cli/completion.sh: zsh -n on `runbook completion zsh`
  strace   # tests/engine/fsyncs.sh: counts the journal's fsyncs
  clang libclang-rt-14-dev   # tests/fuzz: libFuzzer targets (clang 14's fuzzer and sanitizer runtimes)
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# Real clients the simulator must serve: use whatever is on PATH, install Debian's only when none is.
command -v aws >/dev/null 2>&1 || missing+=(awscli)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
