#!/usr/bin/env bash
# MonarchLogs: one entry point for set-up, build, demo, tests and benchmarks.
#   ./build.sh demo    set up, build, start a throwaway Valkey, run the demo service, query its logs
#   ./build.sh test    set up, build, pack, run every test (xunit, Pester, browser, the packages in a fresh app)
#   ./build.sh bench   set up, build, run the benchmarks against a throwaway Valkey
#   ./build.sh setup   install what is missing (Valkey, Chromium, PowerShell, Pester)
#   ./build.sh build   build the solution and lay out the module in artifacts/module/MonarchLogs
#   ./build.sh pack    build the NuGet packages (Core, Logging, Web) into artifacts/packages
#   ./build.sh publish-module   build, then publish the module to the PSResourceGet repository folder artifacts/psrepository
# Safe to run again; works on a fresh Debian 12 machine that has only the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
configuration=${CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

step() { printf '\n==> %s\n' "$*"; }

setup() {
  step "prerequisites"
  bash build/install-prerequisites.sh "${1:-all}"
  dotnet restore tools/MonarchLogs.Tools/MonarchLogs.Tools.csproj --verbosity quiet
}

build() {
  step "build ($configuration)"
  dotnet build MonarchLogs.sln -c "$configuration" --nologo --verbosity quiet
  step "module layout"
  dotnet pwsh -NoProfile -NonInteractive -File build/Build-Module.ps1 -Configuration "$configuration" -NoBuild
}

# The NuGet packages and their symbol packages, from a folder emptied first so that it holds
# exactly this version's packages. Packs what `build` compiled (the solution's Release build).
pack() {
  step "NuGet packages ($configuration) into artifacts/packages"
  rm -rf artifacts/packages
  local project
  for project in MonarchLogs.Core MonarchLogs.Logging MonarchLogs.Web; do
    dotnet pack "src/$project/$project.csproj" -c "$configuration" --no-build --nologo --verbosity quiet -o artifacts/packages
  done
  ls -1 artifacts/packages
}

# A free loopback port: nothing answers there.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( (RANDOM % 30000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2; exit 1
}

# Starts a throwaway valkey-server on a free loopback port in a temp folder; sets VALKEY_PORT.
start_valkey() {
  VALKEY_DIR=$(mktemp -d -t monarchlogs-valkey.XXXXXX)
  VALKEY_PORT=$(free_port)
  valkey-server --port "$VALKEY_PORT" --bind 127.0.0.1 --dir "$VALKEY_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$VALKEY_DIR/valkey.pid" --logfile "$VALKEY_DIR/valkey.log" >/dev/null
  for _ in $(seq 1 100); do
    valkey-cli -p "$VALKEY_PORT" PING >/dev/null 2>&1 && break
    sleep 0.1
  done
  trap stop_valkey EXIT
  echo "throwaway Valkey on 127.0.0.1:$VALKEY_PORT ($VALKEY_DIR)"
}

stop_valkey() {
  if [ -n "${VALKEY_PORT:-}" ]; then valkey-cli -p "$VALKEY_PORT" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; fi
  if [ -n "${VALKEY_DIR:-}" ]; then rm -rf "$VALKEY_DIR"; fi
}

demo() {
  setup valkey
  build
  start_valkey
  local connection="127.0.0.1:$VALKEY_PORT"
  step "demo service: 800 entries at 200 a second, to stdout (first lines below) and to Valkey"
  dotnet "samples/MonarchLogs.DemoService/bin/$configuration/net10.0/MonarchLogs.DemoService.dll" \
    --contentRoot "$root/samples/MonarchLogs.DemoService" \
    --Valkey:ConnectionString "$connection" --Demo:EntriesPerSecond 200 --Demo:TotalEntries 800 \
    --Urls "http://127.0.0.1:$(free_port)" > "$VALKEY_DIR/demo-stdout.jsonl"
  head -n 3 "$VALKEY_DIR/demo-stdout.jsonl"
  echo "... $(wc -l < "$VALKEY_DIR/demo-stdout.jsonl") JSON lines on stdout in all"

  step "the store, as valkey-cli sees it (docs/storage-format.md)"
  local stream=monarch:logs:stream:orders:error head="monarch:logs:head:{monarch:logs:stream:orders:error}"
  echo "format version: $(valkey-cli -p "$VALKEY_PORT" GET monarch:logs:format)"
  valkey-cli -p "$VALKEY_PORT" HGETALL monarch:logs:partitions | paste - - | head -n 8
  echo "blocks of $stream: $(valkey-cli -p "$VALKEY_PORT" XLEN "$stream") in the stream, $(valkey-cli -p "$VALKEY_PORT" XLEN "$head") in its head"
  echo "the newest block's header (its Bloom filter and compressed data shown by size only):"
  # shellcheck disable=SC2016
  valkey-cli -p "$VALKEY_PORT" EVAL '
    for _, key in ipairs(KEYS) do
      local newest = redis.call("XREVRANGE", key, "+", "-", "COUNT", 1)[1]
      if newest then
        local shown = {key .. " " .. newest[1]}
        for i = 1, #newest[2], 2 do
          local field, value = newest[2][i], newest[2][i + 1]
          if field == "data" or field == "bloom" then value = "(" .. #value .. " bytes)" end
          shown[#shown + 1] = "  " .. field .. " = " .. value
        end
        return shown
      end
    end
    return {"no block"}' 2 "$head" "$stream"

  step "querying it with the MonarchLogs module"
  MONARCHLOGS_CONNECTION="$connection" dotnet pwsh -NoProfile -NonInteractive -Command "
    \$ErrorActionPreference = 'Stop'
    Import-Module '$root/artifacts/module/MonarchLogs' -Force
    Write-Host 'Get-MonarchLog -Level Error -Since (Get-Date).AddHours(-1) -First 5'
    Get-MonarchLog -Level Error -Since (Get-Date).AddHours(-1) -First 5 | Format-Table -AutoSize | Out-Host
    Write-Host 'Measure-MonarchLog -By Service, Level (exact counts, no entry read):'
    Measure-MonarchLog -By Service, Level | Format-Table Service, Level, Count -AutoSize | Out-Host
    \$newestError = Get-MonarchLog -Level Error -First 1
    Write-Host 'Get-MonarchLog -Around \$newestError.Id -Context 2 (what happened around the newest error):'
    Get-MonarchLog -Around \$newestError.Id -Context 2 | Format-Table Timestamp, Service, Level, Message -AutoSize | Out-Host
    \$csv = Join-Path '$VALKEY_DIR' 'errors.csv'
    Get-MonarchLog -MinimumLevel Error -Since 1h | Export-Csv \$csv -NoTypeInformation
    Write-Host \"Exported \$((Import-Csv \$csv).Count) error and critical entries to CSV; first row:\"
    Import-Csv \$csv | Select-Object -First 1 Timestamp, Level, Service, Category, Message | Format-List | Out-Host
    Write-Host 'Get-MonarchLogStoreStatus (what an operator checks):'
    Get-MonarchLogStoreStatus | Out-Host
  "
}

# A run that passes with far fewer tests than the suite holds proves little: a project that
# discovered nothing, a filter left in. The floors sit somewhat under today's counts; raise
# them as tests are added.
check_test_counts() {
  local results=$1 failed=0
  for floor in MonarchLogs.Core.Tests:530 MonarchLogs.Logging.Tests:82 MonarchLogs.Web.Tests:125; do
    local project=${floor%%:*} minimum=${floor##*:} passed
    passed=$(grep -E "Passed!.* - ${project}\.dll" "$results" | sed -E 's/.*Passed: +([0-9]+),.*/\1/' | head -n 1)
    if [ -z "$passed" ] || [ "$passed" -lt "$minimum" ]; then
      echo "xunit: ${project} passed ${passed:-no} tests, fewer than the floor of ${minimum}" >&2
      failed=1
    fi
  done
  return $failed
}

run_tests() {
  setup all
  build
  pack
  step "xunit tests (each starts its own Valkey on a free loopback port)"
  local results
  results=$(mktemp -t monarchlogs-xunit.XXXXXX)
  dotnet test MonarchLogs.sln -c "$configuration" --no-build --nologo --verbosity quiet --logger "console;verbosity=minimal" | tee "$results"
  check_test_counts "$results"
  rm -f "$results"
  step "Pester tests (real pwsh, the built module, a Valkey of their own)"
  dotnet pwsh -NoProfile -NonInteractive -File tests/Invoke-PesterTests.ps1
}

publish_module() {
  step "publish the module to artifacts/psrepository (Install-PSResource MonarchLogs from there)"
  dotnet pwsh -NoProfile -NonInteractive -File build/Publish-Module.ps1
}

bench() {
  setup valkey
  build
  step "benchmarks"
  dotnet run --project bench/MonarchLogs.Benchmarks -c Release --no-build -- "$@"
}

command=${1:-}
shift || true
case "$command" in
  setup) setup all ;;
  build) setup valkey; build ;;
  pack) setup valkey; build; pack ;;
  publish-module) setup valkey; build; publish_module ;;
  demo) demo ;;
  test) run_tests ;;
  bench) bench "$@" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
