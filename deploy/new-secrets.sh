#!/usr/bin/env bash
# Writes fresh secrets for the stack in compose.yaml, readable by their owner only:
#   <folder>/users.acl            valkey/users.acl with a random password per user (as SHA-256)
#   <folder>/<user>.password      each user's password, for files a scheduler or a secret store hands out
#   <folder>/viewer.token         the standalone viewer's bearer token
#   <folder>/compose.env          the same values as variables for `docker compose --env-file`
# Usage: deploy/new-secrets.sh [folder]      (deploy/secrets by default; refuses to overwrite)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
folder=${1:-$here/secrets}
if [ -e "$folder/users.acl" ]; then
  echo "$folder/users.acl exists; remove the folder first to make new secrets." >&2
  exit 1
fi

umask 077
mkdir -p "$folder"
chmod 700 "$folder"
new_secret() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

cp "$here/valkey/users.acl" "$folder/users.acl.new"
: > "$folder/compose.env.new"
for user in monarch-admin monarch-writer monarch-reader monarch-maintainer monarch-importer; do
  password=$(new_secret)
  hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
  # Only the hash on this user's line changes; the rules stay exactly as shipped.
  sed -i -E "s/^(user $user on )#[0-9a-f]{64} /\1#$hash /" "$folder/users.acl.new"
  grep -q "^user $user on #$hash " "$folder/users.acl.new" || { echo "no line for $user in valkey/users.acl" >&2; exit 1; }
  printf '%s' "$password" > "$folder/$user.password"
  variable=$(echo "${user#monarch-}" | tr '[:lower:]' '[:upper:]')
  echo "MONARCH_${variable}_PASSWORD=$password" >> "$folder/compose.env.new"
done

token=$(new_secret)
printf '%s' "$token" > "$folder/viewer.token"
echo "MONARCH_VIEWER_TOKEN=$token" >> "$folder/compose.env.new"
mv "$folder/compose.env.new" "$folder/compose.env"
mv "$folder/users.acl.new" "$folder/users.acl"
echo "New secrets in $folder (owner-only). Start the stack with:"
echo "  docker compose -f $here/compose.yaml --env-file $folder/compose.env up -d"
