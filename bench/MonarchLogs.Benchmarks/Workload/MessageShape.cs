using Microsoft.Extensions.Logging;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// One kind of message a service logs: its category, event, template with three arguments,
/// and a LoggerMessage delegate per level (the fast path that source-generated logging uses).
/// </summary>
public sealed class MessageShape
{
    private readonly Action<ILogger, string, string, int, Exception?>[] _byLevel;

    public MessageShape(string service, string category, int eventId, string eventName, string template, string[] names, string composite)
    {
        Service = service;
        Category = category;
        EventId = eventId;
        EventName = eventName;
        Template = template;
        Names = names;
        Composite = composite;
        _byLevel = new Action<ILogger, string, string, int, Exception?>[6];
        for (var level = 0; level < 6; level++)
        {
            _byLevel[level] = LoggerMessage.Define<string, string, int>((LogLevel)level, new EventId(eventId, eventName), template);
        }
    }

    public string Service { get; }

    public string Category { get; }

    public int EventId { get; }

    public string EventName { get; }

    public string Template { get; }

    /// <summary>The names of the three template arguments, in order.</summary>
    public string[] Names { get; }

    /// <summary>The template as a composite format string, to render the message without a logger.</summary>
    public string Composite { get; }

    public void Log(ILogger logger, LogLevel level, string first, string second, int third) =>
        _byLevel[(int)level](logger, first, second, third, null);
}
