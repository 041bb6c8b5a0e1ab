# The demo service (samples/MonarchLogs.DemoService): logs JSON to stdout and to Valkey, and
# serves the log viewer at /logs/, its health at /healthz and its metrics at /metrics, on 8081.
# Build from the repository root:  docker build -f deploy/service.Dockerfile -t monarchlogs-demo .
# A service of your own is built the same way; it needs only the MonarchLogs.Logging package.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish samples/MonarchLogs.DemoService -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Configuration comes from the environment (compose.yaml): Valkey__ConnectionString for the store,
# Logging__MonarchValkey__User / __Password for the writer user, Viewer__Valkey__User / __Password
# for the viewer's reader user, Viewer__BearerToken.
ENV Urls=http://0.0.0.0:8081
EXPOSE 8081
USER app
ENTRYPOINT ["dotnet", "MonarchLogs.DemoService.dll"]
