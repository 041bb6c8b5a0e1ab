using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Captures an entry and hands it to the writer. No I/O, no lock, and nothing thrown into the
    /// application. What the application hands over may throw (a formatter, a property's
    /// ToString(), a scope): that costs the one value, which is replaced by a note of what failed,
    /// never the entry. Only if even the note cannot be made is the entry counted as not stored.
    /// </summary>
    internal sealed class MonarchValkeyLogger : ILogger
    {
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
            PendingLogEntry entry;
            try
            {
                entry = Capture(logLevel, eventId, state, exception, formatter);
            }
            catch (Exception ex)
            {
                try
                {
                    entry = Fallback(logLevel, eventId, exception, ex);
                }
                catch (Exception again)
                {
                    _provider.Writer.CountCaptureFailure(again);
                    return;
                }
            }

            _provider.Writer.TryEnqueue(entry);
        }

        /// <summary>The entry in its safe form: what is known without touching the state again, and what failed.</summary>
        private PendingLogEntry Fallback(LogLevel logLevel, EventId eventId, Exception? exception, Exception failure) => new RenderedLogEntry
        {
            Timestamp = DateTime.UtcNow,
            Level = LevelOf(logLevel),
            Service = _provider.DefaultService,
            Category = _category,
            Message = $"[The log entry could not be captured: {SafeText.Describe(failure)}]",
            EventId = eventId.Id,
            Exception = exception,
        };

        private static MonarchLogLevel LevelOf(LogLevel logLevel) =>
            logLevel < LogLevel.Trace ? MonarchLogLevel.Trace : logLevel > LogLevel.Critical ? MonarchLogLevel.Critical : (MonarchLogLevel)logLevel;

        private PendingLogEntry Capture<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var options = _provider.Options;
            var deferred = DeferrableState<TState>.Allows(formatter);
            var rendered = deferred ? null : new RenderedLogEntry();
            PendingLogEntry entry = rendered ?? (PendingLogEntry)new DeferredLogEntry<TState>(state, formatter);
            entry.Timestamp = DateTime.UtcNow;
            entry.Level = LevelOf(logLevel);
            entry.Service = _provider.DefaultService;
            entry.Category = _category;
            entry.EventId = eventId.Id;
            entry.EventName = eventId.Name;
            entry.Exception = exception;
            if (rendered is not null) rendered.Message = MessageState.Render(formatter, state, exception);

            var activity = Activity.Current;
            if (activity is not null && activity.IdFormat == ActivityIdFormat.W3C)
            {
                entry.TraceId = activity.TraceId.ToHexString();
                entry.SpanId = activity.SpanId.ToHexString();
            }

            if (options.IncludeScopes && _provider.ScopeProvider is { } scopes)
            {
                try
                {
                    scopes.ForEachScope((scope, target) => AddScope(scope, target), entry);
                }
                catch (Exception ex)
                {
                    (entry.Scopes ??= new List<string>()).Add($"[A scope could not be read: {SafeText.Describe(ex)}]");
                }
            }

            // Only a scope the host set deliberately routes an entry, and only when asked to.
            if (!string.IsNullOrEmpty(options.ServicePropertyName)) ApplyServiceOverride(entry, options.ServicePropertyName!);

            // The state's values go after the scopes' properties, here or on the writer's thread.
            if (rendered is not null) MessageState.AddValues(state, rendered);

            return entry;
        }

        private static void AddScope(object? scope, PendingLogEntry entry)
        {
            if (scope is IReadOnlyList<KeyValuePair<string, object?>> list)
            {
                // Read by index, into room made once: no enumerator, no list.
                entry.ReserveProperties(list.Count);
                for (var i = 0; i < list.Count; i++) AddScopeProperty(list[i], entry);

                // A message-template scope ("Order {Id}") also reads as text.
                if (HasTemplate(list)) (entry.Scopes ??= new List<string>()).Add(SafeText.ToStringOf(scope));
            }
            else if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                entry.ReserveProperties(0);
                foreach (var pair in pairs) AddScopeProperty(pair, entry);
            }
            else if (scope is not null)
            {
                (entry.Scopes ??= new List<string>()).Add(SafeText.ToStringOf(scope));
            }
        }

        private static void AddScopeProperty(KeyValuePair<string, object?> pair, PendingLogEntry entry)
        {
            // The framework's activity-tracking scope repeats what traceId and spanId hold.
            if (pair.Key == MessageState.OriginalFormatKey || pair.Key == "TraceId" || pair.Key == "SpanId" || pair.Key == "ParentId") return;
            entry.AddProperty(pair.Key, PropertySnapshot.Capture(pair.Value));
            entry.ScopePropertyCount = entry.PropertyCount;
        }

        private static bool HasTemplate(IReadOnlyList<KeyValuePair<string, object?>> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Key == MessageState.OriginalFormatKey) return true;
            }

            return false;
        }

        /// <summary>The innermost scope property of that name with a valid service name routes the entry.</summary>
        private static void ApplyServiceOverride(PendingLogEntry entry, string propertyName)
        {
            for (var i = entry.ScopePropertyCount - 1; i >= 0; i--)
            {
                var property = entry.PropertyAt(i);
                if (property.Key == propertyName && property.Value is string service && StorageFormat.IsValidServiceName(service))
                {
                    entry.Service = service;
                    return;
                }
            }
        }
    }
}
