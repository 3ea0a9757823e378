#!/usr/bin/env bash
# conventions.sh RUNBOOK SRCDIR — the AWS CLI's conventions our client honours (issue 13),
# each checked through `runbook run` against `runbook sim serve`, with fakeaws.py as the
# rest of the world on loopback (a logging proxy, an HTTPS front with a private CA, a fake
# IMDS and fake SSO / SSO OIDC endpoints). Each check reads fakeaws.py's request log, so
# it fails if the convention is ignored:
#   endpoint_url at the top of a profile and in its [services NAME] section, with the
#   documented precedence (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, services
#   section, profile), AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls;
#   AWS_CA_BUNDLE / ca_bundle; upper-case HTTP_PROXY; the region from IMDSv2;
#   SSO profiles: the token cache, GetRoleCredentials, the OIDC refresh, clear errors.
set -u
RB=$1 SRC=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"
tap_tmpdir rb-aws-conv
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
tap_cleanup stop_all
# a clean slate: nothing from the caller's AWS setup or proxies
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
export HOME=$T/home AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws/sso/cache"
: > "$HOME/.aws/credentials"

# a private CA and a certificate for 127.0.0.1
TAP_OUT=$T/openssl.log
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=rb-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.pem" >"$TAP_OUT" 2>&1 &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
	-keyout "$T/srv.key" -out "$T/srv.csr" >>"$TAP_OUT" 2>&1 &&
printf 'subjectAltName=IP:127.0.0.1\n' > "$T/san" &&
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
	-extfile "$T/san" -out "$T/srv.pem" >>"$TAP_OUT" 2>&1 || bail_out "openssl: $(tail -3 "$TAP_OUT")"

"$RB" sim serve --scenario "$HERE/sim_world.yaml" --quiet >"$T/sim.out" 2>"$T/sim.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/sim.out" ] && break; sleep 0.05; done
SIM=$(head -n1 "$T/sim.out" | grep -o 'http://127\.0\.0\.1:[0-9]*')
[ -n "$SIM" ] || bail_out "sim serve printed no endpoint: $(cat "$T/sim.err")"
"$HERE/fakeaws.py" "$SIM" "$T/log" "$T/srv.pem" "$T/srv.key" >"$T/fake.port" 2>"$T/fake.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/fake.port" ] && break; sleep 0.05; done
read -r FP TP < "$T/fake.port"
[ -n "${TP:-}" ] || bail_out "fakeaws.py did not start: $(cat "$T/fake.err")"
F=http://127.0.0.1:$FP

cat > "$HOME/.aws/config" <<EOF
[default]
region = us-east-1

[profile top]
region = us-east-1
endpoint_url = $F/m/top

[profile both]
region = us-east-1
endpoint_url = $F/m/top
services = sim
# a nested block of another key must not be read as ours
s3 =
  endpoint_url = $F/m/wrong

[profile ignoring]
region = us-east-1
endpoint_url = $F/m/top
ignore_configured_endpoint_urls = true

[services sim]
s3 =
  endpoint_url = $F/m/svc-s3
rds =
  endpoint_url = $F/m/svc-rds

[profile ca]
region = us-east-1
ca_bundle = $T/ca.pem

[profile noregion]

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Restore
region = us-east-1

[profile sso-stale]
sso_session = stale
sso_account_id = 111122223333
sso_role_name = Restore
region = us-east-1

[profile sso-nocache]
sso_session = never-logged-in
sso_account_id = 111122223333
sso_role_name = Restore
region = us-east-1

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 444455556666
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1

[sso-session stale]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1

[sso-session never-logged-in]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
EOF

cat > "$T/rb.yaml" <<'YAML'
runbook: aws-conventions
params:
  profile: {type: string, default: ""}
connections:
  aws: {profile: "${{ .params.profile }}"}
steps:
  - id: list
    action: aws.call
    with: {service: rds, operation: DescribeDBInstances, read_only: true}
YAML
KEYS=(AWS_ACCESS_KEY_ID=AKIAENVKEY AWS_SECRET_ACCESS_KEY=env-secret)
# run NAME [-p profile=X] -- [ENV...]: one run; RC, OUT (its output), LOG (the requests)
run() {
	local name=$1
	shift
	local args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	: > "$T/log"
	env "$@" "$RB" run "$T/rb.yaml" "${args[@]}" --state-dir "$T/st" >"$T/out-$name" 2>&1
	RC=$?
	OUT=$(cat "$T/out-$name")
	LOG=$(cat "$T/log")
}
# has WHAT NEEDLE: the request log has the line
has() { case "$LOG" in *"$2"*) ok "$1" ;; *) not_ok "$1"; diag "no '$2' in the request log:" "$LOG" "--- output:" "$OUT" ;; esac; }
succeeded() { [ "$RC" = 0 ] && ok "$1: run succeeded" || { not_ok "$1: run succeeded"; diag "$OUT"; }; }
failed_with() { # failed_with WHAT NEEDLE
	if [ "$RC" != 0 ] && [[ "$OUT" == *"$2"* ]]; then ok "$1"; else not_ok "$1"; diag "rc $RC; no '$2' in:" "$OUT"; fi
}

# ---- endpoints
run services -- "${KEYS[@]}" AWS_PROFILE=both
succeeded "services section"
has "the profile's [services sim] rds endpoint_url, before its own endpoint_url" "EP svc-rds POST /"
run top -- "${KEYS[@]}" AWS_PROFILE=top
succeeded "profile endpoint_url"
has "the profile's endpoint_url" "EP top POST /"
run envglobal -- "${KEYS[@]}" AWS_PROFILE=both AWS_ENDPOINT_URL="$F/m/env-global"
has "AWS_ENDPOINT_URL before the config file" "EP env-global POST /"
run envsvc -- "${KEYS[@]}" AWS_PROFILE=both AWS_ENDPOINT_URL="$F/m/env-global" AWS_ENDPOINT_URL_RDS="$F/m/env-rds"
has "AWS_ENDPOINT_URL_RDS before AWS_ENDPOINT_URL" "EP env-rds POST /"
# ignored: the default endpoint, through the HTTPS proxy (which then fails the handshake)
run ignore-env -- "${KEYS[@]}" AWS_PROFILE=both AWS_ENDPOINT_URL="$F/m/env-global" \
	AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true HTTPS_PROXY="$F"
has "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: the default endpoint" "CONNECT rds.us-east-1.amazonaws.com:443"
run ignore-profile -- "${KEYS[@]}" AWS_PROFILE=ignoring HTTPS_PROXY="$F"
has "ignore_configured_endpoint_urls in the profile: the default endpoint" "CONNECT rds.us-east-1.amazonaws.com:443"

# ---- upper-case HTTP_PROXY (libcurl itself reads only http_proxy)
run proxy -- "${KEYS[@]}" AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://rds.sim.test HTTP_PROXY="$F"
succeeded "HTTP_PROXY"
has "HTTP_PROXY carries the request" "PROXY POST http://rds.sim.test/"
run noproxy -- "${KEYS[@]}" AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$F/m/direct" HTTP_PROXY=http://127.0.0.1:1 NO_PROXY=127.0.0.1
has "NO_PROXY still applies to HTTP_PROXY" "EP direct POST /"

# ---- CA bundle: the TLS front has a certificate of a private CA
run ca-none -- "${KEYS[@]}" AWS_REGION=us-east-1 AWS_ENDPOINT_URL="https://127.0.0.1:$TP"
[ "$RC" != 0 ] && [[ "$LOG" != *"TLS POST"* ]] && ok "without a CA bundle the private CA is refused" ||
	{ not_ok "without a CA bundle the private CA is refused"; diag "$OUT"; }
run ca-env -- "${KEYS[@]}" AWS_REGION=us-east-1 AWS_ENDPOINT_URL="https://127.0.0.1:$TP" AWS_CA_BUNDLE="$T/ca.pem"
succeeded "AWS_CA_BUNDLE"
has "AWS_CA_BUNDLE: the request reached the TLS front" "TLS POST /"
run ca-profile -- "${KEYS[@]}" AWS_PROFILE=ca AWS_ENDPOINT_URL="https://127.0.0.1:$TP"
succeeded "ca_bundle in the profile"
has "ca_bundle: the request reached the TLS front" "TLS POST /"

# ---- container credentials from an https AWS_CONTAINER_CREDENTIALS_FULL_URI: the CA bundle
# verifies it too (the call itself goes to the sim through the plain port)
ECSENV=(AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$F/m/ecs" AWS_CONTAINER_CREDENTIALS_FULL_URI="https://127.0.0.1:$TP/ecs/creds"
	AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-auth-token)
run ecs-none -- "${ECSENV[@]}"
[ "$RC" != 0 ] && [[ "$LOG" != *"ECS /ecs/creds"* ]] && ok "https container endpoint: without a CA bundle the private CA is refused" ||
	{ not_ok "https container endpoint: without a CA bundle the private CA is refused"; diag "$OUT" "$LOG"; }
run ecs-env -- "${ECSENV[@]}" AWS_CA_BUNDLE="$T/ca.pem"
succeeded "https container endpoint with AWS_CA_BUNDLE"
has "AWS_CA_BUNDLE: the credentials asked over TLS, with the authorization token" "ECS /ecs/creds tls=yes auth=ecs-auth-token"
has "the call is signed with the container's key" "EP ecs POST / ak=ASIAECSKEY"
run ecs-profile -- "${ECSENV[@]}" AWS_PROFILE=ca
succeeded "https container endpoint with the profile's ca_bundle"
has "ca_bundle: the credentials asked over TLS" "ECS /ecs/creds tls=yes"
run ecs-plain -- AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$F/m/ecs" AWS_CONTAINER_CREDENTIALS_FULL_URI="$F/ecs/plain" \
	AWS_CA_BUNDLE="$T/ca.pem"
has "an http container endpoint is unchanged by AWS_CA_BUNDLE" "ECS /ecs/plain tls=no"

# ---- region from instance metadata, after the environment and the profile
run imds -- "${KEYS[@]}" AWS_PROFILE=noregion AWS_EC2_METADATA_DISABLED= AWS_EC2_METADATA_SERVICE_ENDPOINT="$F" \
	AWS_ENDPOINT_URL="$F/m/imds"
succeeded "region from IMDS"
has "IMDSv2: a token first" "IMDS token ttl="
has "IMDSv2: the region asked with the token" "IMDS GET /latest/meta-data/placement/region token=ok"
has "the request is signed for the instance's region" "EP imds POST / ak=AKIAENVKEY region=eu-west-3"
run imds-env -- "${KEYS[@]}" AWS_PROFILE=noregion AWS_REGION=ap-south-1 AWS_EC2_METADATA_DISABLED= \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$F" AWS_ENDPOINT_URL="$F/m/imds"
has "AWS_REGION before IMDS" "region=ap-south-1"
[[ "$LOG" != *IMDS* ]] && ok "IMDS not asked when the region is set" || not_ok "IMDS not asked when the region is set"

# ---- SSO
sha1() { printf '%s' "$1" | sha1sum | cut -d' ' -f1; }
in_1h=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
ago_1h=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
in_30d=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
cat > "$HOME/.aws/sso/cache/$(sha1 corp).json" <<EOF
{"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1", "accessToken": "tok-valid", "expiresAt": "$in_1h"}
EOF
stale=$HOME/.aws/sso/cache/$(sha1 stale).json
cat > "$stale" <<EOF
{"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1", "accessToken": "tok-old",
 "expiresAt": "$ago_1h", "clientId": "cid", "clientSecret": "csecret", "refreshToken": "rt-1",
 "registrationExpiresAt": "$in_30d"}
EOF
SSOENV=(AWS_ENDPOINT_URL_SSO="$F" AWS_ENDPOINT_URL_SSO_OIDC="$F" AWS_ENDPOINT_URL_RDS="$F/m/sso")
run sso -p profile=sso -- "${SSOENV[@]}"
succeeded "SSO profile"
has "GetRoleCredentials with the cached token, the account and the role" "SSO token=tok-valid account=111122223333 role=Restore"
has "the call is signed with the role's keys" "EP sso POST / ak=AKIASSOTOKVALID"
run sso-refresh -p profile=sso-stale -- "${SSOENV[@]}"
succeeded "expired SSO token"
has "an expired token is refreshed (CreateToken, refresh_token grant)" "OIDC grant=refresh_token refresh=rt-1"
has "GetRoleCredentials with the refreshed token" "SSO token=tok-refreshed"
check "the cache file holds the new token and refresh token" "tok-refreshed rt-2" \
	"$(jq -r '"\(.accessToken) \(.refreshToken)"' "$stale")"
run sso-nocache -p profile=sso-nocache -- "${SSOENV[@]}"
failed_with "no cached token: says to log in" "run 'aws sso login --profile sso-nocache'"
cat > "$HOME/.aws/sso/cache/$(sha1 https://legacy.awsapps.com/start).json" <<EOF
{"startUrl": "https://legacy.awsapps.com/start", "region": "eu-central-1", "accessToken": "tok-valid", "expiresAt": "$in_1h"}
EOF
run sso-legacy -p profile=sso-legacy -- "${SSOENV[@]}"
has "legacy sso_start_url profile: the cache named by the start URL" "SSO token=tok-valid account=444455556666 role=ReadOnly"
cat > "$HOME/.aws/sso/cache/$(sha1 https://legacy.awsapps.com/start).json" <<EOF
{"startUrl": "https://legacy.awsapps.com/start", "region": "eu-central-1", "accessToken": "tok-valid", "expiresAt": "$ago_1h"}
EOF
run sso-legacy-expired -p profile=sso-legacy -- "${SSOENV[@]}"
failed_with "legacy profile, expired token: says to log in again" "expired"
[[ "$OUT" == *"aws sso login --profile sso-legacy"* ]] && ok "... with the command" || { not_ok "... with the command"; diag "$OUT"; }
if grep -rq 'tok-valid\|tok-refreshed\|sso-secret' "$T"/out-* "$T/st" 2>/dev/null; then
	not_ok "no SSO token or key in the output or the journal"
else
	ok "no SSO token or key in the output or the journal"
fi
tap_done
