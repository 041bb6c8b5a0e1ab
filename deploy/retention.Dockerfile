# The scheduled retention job: PowerShell with the MonarchLogs module, running
# deploy/retention/retention.ps1 once a day as the maintainer user.
# Build from the repository root:  docker build -f deploy/retention.Dockerfile -t monarchlogs-retention .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet tool restore \
 && dotnet build MonarchLogs.sln -c Release \
 && dotnet pwsh -NoProfile -NonInteractive -File build/Build-Module.ps1 -Configuration Release -NoBuild

# The .NET SDK image carries PowerShell (pwsh); Microsoft points there now that its PowerShell
# images are no longer updated.
FROM mcr.microsoft.com/dotnet/sdk:10.0
COPY --from=build /src/artifacts/module/MonarchLogs /usr/local/share/powershell/Modules/MonarchLogs
COPY deploy/retention/retention.ps1 deploy/retention/run-daily.sh /opt/monarch/
# MONARCHLOGS_CONNECTION, MONARCHLOGS_USER and MONARCHLOGS_PASSWORD_FILE come from compose.yaml.
ENTRYPOINT ["sh", "/opt/monarch/run-daily.sh"]
