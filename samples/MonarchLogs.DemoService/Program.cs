using MonarchLogs.DemoService;
using MonarchLogs.Logging;
using MonarchLogs.Web;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

var builder = WebApplication.CreateBuilder(args);

// Stdout stays as it was (the framework's JSON console formatter, from appsettings.json);
// the Valkey provider stores the same entries beside it.
builder.Logging.AddMonarchValkey();

builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection("Demo"));
builder.Services.AddHostedService<MonarchSimulator>();

// The log viewer runs inside the service, as the original design had it, on the same store:
// Valkey:ConnectionString (with Valkey:User and Valkey:Password for a reader user, since the
// provider's writer user may not read), else the provider's connection string.
builder.Services.AddMonarchLogViewer(viewer =>
    viewer.ConnectionString = builder.Configuration["Valkey:ConnectionString"]
        ?? builder.Configuration["Logging:MonarchValkey:ConnectionString"]
        ?? viewer.ConnectionString);

// Monitoring: the provider's health at /healthz (503 when entries were dropped recently or
// nothing could be written for a minute; Monitoring:Health changes the times) and its meter
// at /metrics for Prometheus.
builder.Services.AddHealthChecks().AddMonarchValkey(health => builder.Configuration.GetSection("Monitoring:Health").Bind(health));
builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("monarch-demo"))
    .WithMetrics(metrics => metrics
    .AddMeter("MonarchLogs.Logging")
    // Batch durations are seconds; buckets from 0.5 ms to 10 s instead of the defaults made for milliseconds.
    .AddView("monarchlogs.batch.duration", new ExplicitBucketHistogramConfiguration
    {
        Boundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    })
    .AddPrometheusExporter());

var app = builder.Build();
app.MapHealthChecks("/healthz");
app.MapPrometheusScrapingEndpoint();
app.MapGet("/", () => Results.Redirect("/logs/"));
app.MapMonarchLogViewer("/logs");
app.Run();
