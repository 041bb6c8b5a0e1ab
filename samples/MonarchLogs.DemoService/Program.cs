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

// The log viewer runs inside the service, as the original design had it, on the same store: both
// read it from the Valkey section. Each may log in as a user of its own: Logging:MonarchValkey:User
// and :Password for the writer, Viewer:Valkey:User and :Password for a reader (docs/operations.md).
builder.Services.AddMonarchLogViewer();

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
