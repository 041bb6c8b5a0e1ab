using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Captures an entry and hands it to the writer. No I/O, no lock, and nothing thrown into the
    /// application: a failure to capture is counted as a dropped entry and reported through
    /// <see cref="MonarchLogsEventSource"/>.
    /// </summary>
    internal sealed class MonarchValkeyLogger : ILogger
    {
        private const string OriginalFormatKey = "{OriginalFormat}";
        private readonly string _category;
        private readonly MonarchValkeyLoggerProvider _provider;

        public MonarchValkeyLogger(string category, MonarchValkeyLoggerProvider provider)
        {
            _category = category;
            _provider = provider;
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            _provider.ScopeProvider?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            try
            {
                _provider.Writer.TryEnqueue(Capture(logLevel, eventId, state, exception, formatter));
            }
            catch (Exception ex)
            {
                _provider.Writer.CountCaptureFailure(ex);
            }
        }

        private PendingLogEntry Capture<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var options = _provider.Options;
            var entry = new PendingLogEntry
            {
                Timestamp = DateTime.UtcNow,
                Level = (MonarchLogLevel)logLevel,
                Service = _provider.DefaultService,
                Category = _category,
                Message = formatter(state, exception) ?? string.Empty,
                EventId = eventId.Id,
                EventName = eventId.Name,
                Exception = exception,
            };

            var activity = Activity.Current;
            if (activity is not null && activity.IdFormat == ActivityIdFormat.W3C)
            {
                entry.TraceId = activity.TraceId.ToHexString();
                entry.SpanId = activity.SpanId.ToHexString();
            }

            if (options.IncludeScopes && _provider.ScopeProvider is { } scopes)
            {
                scopes.ForEachScope((scope, target) => AddScope(scope, target), entry);
            }

            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    var pair = values[i];
                    if (pair.Key == OriginalFormatKey)
                    {
                        entry.Template = pair.Value as string;
                        continue;
                    }

                    (entry.Properties ??= new List<KeyValuePair<string, object?>>(values.Count))
                        .Add(new KeyValuePair<string, object?>(pair.Key, PropertySnapshot.Capture(pair.Value)));
                }
            }

            ApplyServiceOverride(entry, options.ServicePropertyName);
            return entry;
        }

        private static void AddScope(object? scope, PendingLogEntry entry)
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                entry.Properties ??= new List<KeyValuePair<string, object?>>();
                foreach (var pair in pairs)
                {
                    // The framework's activity-tracking scope repeats what traceId and spanId hold.
                    if (pair.Key == OriginalFormatKey || pair.Key == "TraceId" || pair.Key == "SpanId" || pair.Key == "ParentId") continue;
                    entry.Properties.Add(new KeyValuePair<string, object?>(pair.Key, PropertySnapshot.Capture(pair.Value)));
                }

                // A message-template scope ("Order {Id}") also reads as text.
                if (scope is IReadOnlyList<KeyValuePair<string, object?>> list && HasTemplate(list))
                {
                    (entry.Scopes ??= new List<string>()).Add(scope.ToString() ?? string.Empty);
                }
            }
            else if (scope is not null)
            {
                (entry.Scopes ??= new List<string>()).Add(scope.ToString() ?? string.Empty);
            }
        }

        private static bool HasTemplate(IReadOnlyList<KeyValuePair<string, object?>> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Key == OriginalFormatKey) return true;
            }

            return false;
        }

        private static void ApplyServiceOverride(PendingLogEntry entry, string? propertyName)
        {
            if (string.IsNullOrEmpty(propertyName) || entry.Properties is null) return;
            for (var i = entry.Properties.Count - 1; i >= 0; i--)
            {
                if (entry.Properties[i].Key == propertyName && entry.Properties[i].Value is string service && StorageFormat.IsValidServiceName(service))
                {
                    entry.Service = service;
                    return;
                }
            }
        }
    }
}
