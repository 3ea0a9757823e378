#!/bin/bash
# The real AWS CLI against `runbook sim serve`: Secrets Manager versions and staging
# labels (seed 004's rotation rollback), deletion with a recovery window and restore.
. "$(dirname "$0")/lib.sh"
sim_start "$SCEN/secrets-rotation-rollback.yaml"
S=lomash-wood/production/jwt-secret

out=$(awsq secretsmanager list-secret-version-ids --secret-id $S --output json)
check "versions with stages" 2 "$(jq '.Versions | length' <<<"$out")"
check "deprecated versions included on request" 3 "$(awsq secretsmanager list-secret-version-ids --secret-id $S \
	--include-deprecated --query 'length(Versions)' --output text)"
check "current value" jwt-bad-rotation "$(awsq secretsmanager get-secret-value --secret-id $S --query SecretString --output text)"
PREV=$(awsq secretsmanager get-secret-value --secret-id $S --version-stage AWSPREVIOUS --query SecretString --output text)
check "previous value" jwt-good-2026-10 "$PREV"
check "by version id" jwt-original-2026-05 "$(awsq secretsmanager get-secret-value --secret-id $S \
	--version-id 0b1e7c0e-0000-4000-8000-000000000001 --query SecretString --output text)"
expect_error "unknown stage" ResourceNotFoundException awsq secretsmanager get-secret-value --secret-id $S --version-stage NOPE
expect_error "unknown secret" ResourceNotFoundException awsq secretsmanager describe-secret --secret-id nope

# rollback 1: move AWSCURRENT back to the good version (AWSPREVIOUS follows)
awsq secretsmanager update-secret-version-stage --secret-id $S --version-stage AWSCURRENT \
	--move-to-version-id 0b1e7c0e-0000-4000-8000-000000000002 \
	--remove-from-version-id 0b1e7c0e-0000-4000-8000-000000000003 >/dev/null
check "stage moved" 0 "$?"
out=$(awsq secretsmanager describe-secret --secret-id $S --output json)
check "current is the good version" AWSCURRENT "$(jq -r '.VersionIdsToStages["0b1e7c0e-0000-4000-8000-000000000002"][0]' <<<"$out")"
check "previous is the bad one" AWSPREVIOUS "$(jq -r '.VersionIdsToStages["0b1e7c0e-0000-4000-8000-000000000003"][0]' <<<"$out")"
expect_error "move without naming the holder" InvalidParameterException awsq secretsmanager update-secret-version-stage \
	--secret-id $S --version-stage AWSCURRENT --move-to-version-id 0b1e7c0e-0000-4000-8000-000000000001

# rollback 2 (the seed's way): put the previous value as a new version
out=$(awsq secretsmanager put-secret-value --secret-id $S --secret-string "$PREV" --output json)
check "put makes the new version current" AWSCURRENT "$(jq -r '.VersionStages[0]' <<<"$out")"
NEW=$(jq -r .VersionId <<<"$out")
check "current value after put" "$PREV" "$(awsq secretsmanager get-secret-value --secret-id $S --query SecretString --output text)"
check "new version listed" AWSCURRENT "$(awsq secretsmanager describe-secret --secret-id $S --output json | jq -r --arg v "$NEW" '.VersionIdsToStages[$v][0]')"
out=$(awsq secretsmanager put-secret-value --secret-id $S --secret-string "$PREV" --client-request-token "$NEW" --output json)
check "same token and value is idempotent" "$NEW" "$(jq -r .VersionId <<<"$out")"
expect_error "same token, other value" ResourceExistsException awsq secretsmanager put-secret-value --secret-id $S \
	--secret-string other --client-request-token "$NEW"

# deletion and restore
K=lomash-wood/production/stripe-key
expect_error "scheduled for deletion" InvalidRequestException awsq secretsmanager get-secret-value --secret-id $K
check "deleted date shown" true "$(awsq secretsmanager describe-secret --secret-id $K --output json | jq '.DeletedDate != null')"
awsq secretsmanager restore-secret --secret-id $K >/dev/null
check "restored secret readable" sk_live_simulated "$(awsq secretsmanager get-secret-value --secret-id $K --query SecretString --output text)"
out=$(awsq secretsmanager delete-secret --secret-id $K --recovery-window-in-days 7 --output json)
check "deletion date a week out" true "$(jq '.DeletionDate - now | (. > 6*86400 and . < 8*86400)' <<<"$out")"
expect_error "recovery window bounds" InvalidParameterException awsq secretsmanager delete-secret --secret-id \
	lomash-wood/production/orders-db --recovery-window-in-days 3

# create (seed 003's restore of a missing secret)
out=$(awsq secretsmanager create-secret --name lomash-wood/production/new --secret-string '{"a": 1}' \
	--tags Key=RestoredFrom,Value=2026-11-21 --output json)
check "created" lomash-wood/production/new "$(jq -r .Name <<<"$out")"
expect_error "create twice" ResourceExistsException awsq secretsmanager create-secret --name lomash-wood/production/new \
	--secret-string x
check "listed" 3 "$(awsq secretsmanager list-secrets --query 'length(SecretList)' --output text)"
check "arn lookup" '{"a": 1}' "$(awsq secretsmanager get-secret-value --secret-id "$(jq -r .ARN <<<"$out")" \
	--query SecretString --output text)"

c=$(counters)
check "puts counted" 3 "$(jq '.mutating.PutSecretValue' <<<"$c")"
check "reads not mutating" null "$(jq '.mutating.GetSecretValue' <<<"$c")"
check "secret values stay out of the state dump" 0 "$(curl -sf "$EP/_sim/state" | grep -c jwt-good)"
finish
