using MonarchLogs.DemoService;
using MonarchLogs.Logging;
using MonarchLogs.Web;

var builder = WebApplication.CreateBuilder(args);

// Stdout stays as it was (the framework's JSON console formatter, from appsettings.json);
// the Valkey provider stores the same entries beside it.
builder.Logging.AddMonarchValkey();

builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection("Demo"));
builder.Services.AddHostedService<MonarchSimulator>();

// The log viewer runs inside the service, as the original design had it, on the same store.
builder.Services.AddMonarchLogViewer(viewer =>
    viewer.ConnectionString = builder.Configuration["Logging:MonarchValkey:ConnectionString"] ?? viewer.ConnectionString);

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.MapGet("/", () => Results.Redirect("/logs/"));
app.MapMonarchLogViewer("/logs");
app.Run();
