# The standalone log viewer (src/MonarchLogs.Viewer) on port 8080, for a store whose services
# do not mount the viewer themselves. It refuses to listen beyond loopback without a bearer
# token or basic auth (Viewer__BearerToken, or Viewer__BasicAuth__User and __Password).
# Build from the repository root:  docker build -f deploy/viewer.Dockerfile -t monarchlogs-viewer .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MonarchLogs.Viewer -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Valkey__ConnectionString, Valkey__User, Valkey__Password (a reader user), Viewer__BearerToken.
ENV Urls=http://0.0.0.0:8080
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "MonarchLogs.Viewer.dll"]
