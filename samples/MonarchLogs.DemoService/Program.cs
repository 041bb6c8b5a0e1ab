using MonarchLogs.DemoService;
using MonarchLogs.Logging;

var builder = WebApplication.CreateBuilder(args);

// Stdout stays as it was (the framework's JSON console formatter, from appsettings.json);
// the Valkey provider stores the same entries beside it.
builder.Logging.AddMonarchValkey();

builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection("Demo"));
builder.Services.AddHostedService<MonarchSimulator>();

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.Run();
