#!/usr/bin/env bash
# Rolling update on the production box. .github/workflows/deploy.yml runs it over SSH in the
# repository checkout that holds compose.yaml and .env, after moving that checkout to the commit
# being deployed:
#
#   deploy/rollout.sh [TAG]      build this checkout as lodge:TAG (default: the commit) and roll it out
#   deploy/rollout.sh rollback   roll back to the image that was current before the last rollout
#
# Steps:
#   1. build the image (deploy/Dockerfile); point lodge:current at it, keeping the old one as
#      lodge:previous
#   2. run the one-shot `migrate` service with it (migrations must be backward compatible: the old
#      version keeps serving meanwhile, and a rollback does not undo them)
#   3. for each service, recreate its slots one at a time (<service>-a, then <service>-b) and wait
#      until Docker reports the new container healthy (its /ready); the other slot keeps serving,
#      Caddy's health checks and retries route around the one restarting
#   4. if migrate or any slot fails: point lodge:current back at the previous image, recreate the
#      slots already replaced, exit 1
#   5. reload Caddy's configuration (graceful; a no-op when the Caddyfile did not change)
#
# The first run on a fresh box (nothing running yet) starts the whole stack instead.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Services with two slots each, in rollout order: the list in packages/services/src/index.ts, in
# its order (test/deploy/compose.test.ts checks that they agree). auth goes first:
# its AUTH_CLIENTS carries the user service's client. New routes (a service rolled out for the
# first time) are served once Caddy reloads at the end; until then nothing public reaches them.
readonly SERVICES=(auth user file notification ai analytics bot)
readonly SLOTS=(a b)
readonly IMAGE_REPO=lodge
readonly WAIT_TIMEOUT=${WAIT_TIMEOUT:-180}
# After a slot is healthy, give Caddy's active health check time to take it in (health_interval
# 1s + health_timeout 2s) before the next slot goes down, so one slot is always in rotation. (A
# request that finds neither in rotation waits and retries for up to lb_try_duration: Caddyfile.)
readonly SETTLE_SECONDS=${SETTLE_SECONDS:-3}

log() { printf '%s rollout: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "$*"
  exit 1
}

compose() { docker compose "$@"; }

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

running_slots() {
  local service slot
  for service in "${SERVICES[@]}"; do
    for slot in "${SLOTS[@]}"; do
      if [[ -n "$(compose ps --status running --quiet "${service}-${slot}" 2>/dev/null)" ]]; then
        printf '%s\n' "${service}-${slot}"
      fi
    done
  done
}

# Recreates one slot from lodge:current and waits for its healthcheck.
replace_slot() {
  local slot=$1
  log "replacing ${slot}"
  # Explicit `|| return`: callers test this function in `if`, where set -e does not apply.
  compose up --detach --no-deps --force-recreate --wait --wait-timeout "${WAIT_TIMEOUT}" "${slot}" || return 1
  sleep "${SETTLE_SECONDS}"
}

# Puts lodge:current back on $1 and recreates the slots named after it.
restore() {
  local previous=$1
  shift
  log "rolling back to ${previous}"
  docker tag "${previous}" "${IMAGE_REPO}:current"
  local slot
  for slot in "$@"; do
    replace_slot "${slot}" || log "could not restore ${slot}: check it by hand (docker compose ps)"
  done
}

validate_caddyfile() {
  if [[ -n "$(compose ps --status running --quiet caddy 2>/dev/null)" ]]; then
    compose exec -T caddy caddy validate --adapter caddyfile --config /dev/stdin <Caddyfile >/dev/null ||
      die "the Caddyfile does not validate; nothing was changed"
  fi
}

reload_caddy() {
  # The bind-mounted file may be a stale inode after git replaced it, so the new content is
  # piped in; the admin API swaps configurations without dropping connections.
  log "reloading Caddy"
  compose exec -T caddy caddy reload --adapter caddyfile --config /dev/stdin <Caddyfile
}

# Every slot of every service, in rollout order.
all_slots() {
  local service slot
  for service in "${SERVICES[@]}"; do
    for slot in "${SLOTS[@]}"; do
      printf '%s\n' "${service}-${slot}"
    done
  done
}

roll() {
  local previous=$1
  local -a replaced=()
  local slot
  log "migrating"
  if ! compose run --rm -T migrate; then
    log "migrate failed; no slot was touched"
    if [[ -n "${previous}" ]]; then
      docker tag "${previous}" "${IMAGE_REPO}:current"
    fi
    exit 1
  fi
  while IFS= read -r slot; do
    replaced+=("${slot}")
    if ! replace_slot "${slot}"; then
      log "${slot} did not become healthy"
      compose logs --no-color --tail 50 "${slot}" >&2 || true
      if [[ -n "${previous}" ]]; then
        restore "${previous}" "${replaced[@]}"
      fi
      exit 1
    fi
  done < <(all_slots)
}

main() {
  [[ -f .env ]] || die ".env is missing: copy .env.example to .env and fill it in"
  command -v docker >/dev/null || die "docker is not installed"

  local mode=${1:-deploy}
  local current previous
  current=$(image_id "${IMAGE_REPO}:current")

  if [[ "${mode}" == "rollback" ]]; then
    previous=$(image_id "${IMAGE_REPO}:previous")
    [[ -n "${previous}" ]] || die "there is no ${IMAGE_REPO}:previous to roll back to"
    log "rolling back from ${current:-nothing} to ${previous}"
    docker tag "${previous}" "${IMAGE_REPO}:current"
    if [[ -n "${current}" ]]; then
      docker tag "${current}" "${IMAGE_REPO}:previous"
    fi
    roll "${current}"
    log "rolled back"
    return
  fi

  local tag=${mode}
  if [[ "${tag}" == "deploy" ]]; then
    tag=$(git rev-parse --short=12 HEAD)
  fi
  [[ "${tag}" =~ ^[A-Za-z0-9_.-]+$ ]] || die "invalid image tag: ${tag}"

  validate_caddyfile
  log "building ${IMAGE_REPO}:${tag}"
  docker build --file deploy/Dockerfile --tag "${IMAGE_REPO}:${tag}" .
  local built
  built=$(image_id "${IMAGE_REPO}:${tag}")

  if [[ -z "$(running_slots)" ]]; then
    log "nothing is running yet: starting the whole stack"
    docker tag "${built}" "${IMAGE_REPO}:current"
    compose up --detach --wait --wait-timeout "${WAIT_TIMEOUT}"
    log "started ${IMAGE_REPO}:${tag}"
    return
  fi

  if [[ "${built}" == "${current}" ]]; then
    log "${IMAGE_REPO}:${tag} is already current; recreating slots anyway"
  elif [[ -n "${current}" ]]; then
    docker tag "${current}" "${IMAGE_REPO}:previous"
  fi
  docker tag "${built}" "${IMAGE_REPO}:current"
  roll "${current}"
  reload_caddy
  log "rolled out ${IMAGE_REPO}:${tag}"
}

main "$@"
