#!/usr/bin/env bash
# The whole flow on the embedded local key, no cloud account: init, set without the key, list, approve
# the writer's new name, verify, run a build step with the secrets (masked in its output), export. Everything happens in a temp folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli() { node "$root/dist/cli.mjs" "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/admin-config"   # the admin's machine: the local key lands here
mkdir -p "$work/demo-app" && cd "$work/demo-app"
printf 'service: demo-app\nprovider:\n  name: aws\n' > serverless.yml

step stage-secrets init --stage dev
cli init --stage dev

step "stage-secrets set --stage dev STRIPE_KEY   (value on stdin; a writer needs no key)"
printf 'sk_test_demo_4242' | XDG_CONFIG_HOME="$work/writer-config" cli set --stage dev STRIPE_KEY
step stage-secrets set --stage dev MAX_CONNECTIONS 20 --type number
cli set --stage dev MAX_CONNECTIONS 20 --type number
step "stage-secrets set --stage dev FEATURE_FLAGS '{\"beta\": true}' --type json"
cli set --stage dev FEATURE_FLAGS '{"beta": true}' --type json

step stage-secrets list --stage dev
cli list --stage dev

step "cat secrets/dev.json   (committed to git: values are sealed)"
cat secrets/dev.json

step "stage-secrets approve --stage dev STRIPE_KEY   (the writer had no key: a key holder approves the new name)"
cli approve --stage dev STRIPE_KEY

step "stage-secrets verify --stage dev   (CI: the key comes from STAGE_SECRETS_KEY_DEV)"
STAGE_SECRETS_KEY_DEV=$(cat "$XDG_CONFIG_HOME"/stage-secrets/keys/*.key)
export STAGE_SECRETS_KEY_DEV
XDG_CONFIG_HOME="$work/ci-config" cli verify --stage dev

step "stage-secrets run --stage dev -- sh -c 'echo keys: \$STAGE_SECRETS_KEYS; echo the key is \$STRIPE_KEY'"
XDG_CONFIG_HOME="$work/ci-config" cli run --stage dev -- sh -c 'echo "keys: $STAGE_SECRETS_KEYS"; echo "the key is $STRIPE_KEY (masked in the log)"; node -e "process.exit(process.env.STRIPE_KEY === \"sk_test_demo_4242\" ? 0 : 1)" && echo "the build saw the real value"'

step "stage-secrets export --stage dev --format dotenv --out .env.dev"
XDG_CONFIG_HOME="$work/ci-config" cli export --stage dev --format dotenv --out .env.dev
ls -l .env.dev | awk '{print $1, $NF}'

printf '\nDemo done: the stage file holds only sealed values; the build read them with the CI key.\n'
