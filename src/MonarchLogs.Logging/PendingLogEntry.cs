using System;
using System.Collections.Generic;
using MonarchLogs.Core;
using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// What <see cref="MonarchValkeyLogger.Log{TState}"/> captures on the caller's thread, as it
    /// waits in the queue: the entry's fields and immutable snapshots of its scopes' properties,
    /// and either the rendered message (<see cref="RenderedLogEntry"/>) or the state to render it
    /// from later (<see cref="DeferredLogEntry{TState}"/>). Encoding to the storage format happens
    /// later, on the writer's thread. While the writer is behind, every queued entry is moved by
    /// each collection: it holds only what both kinds need.
    /// </summary>
    internal abstract class PendingLogEntry
    {
        public DateTime Timestamp { get; set; }

        public MonarchLogLevel Level { get; set; }

        public string Service { get; set; } = string.Empty;

        public string Category { get; set; } = string.Empty;

        public int EventId { get; set; }

        public string? EventName { get; set; }

        public Exception? Exception { get; set; }

        public string? TraceId { get; set; }

        public string? SpanId { get; set; }

        /// <summary>
        /// State and scope properties, the first <see cref="PropertyCount"/> of them; values are
        /// scalars, strings or arrays of those. One array, grown to the size known before adding
        /// (no list): a queued entry is one object fewer for every collection to move.
        /// </summary>
        private KeyValuePair<string, object?>[]? _properties;

        /// <summary>How many state and scope properties there are.</summary>
        public int PropertyCount { get; private set; }

        /// <summary>How many of the properties, from the start, came from scopes (the rest from the message's state).</summary>
        public int ScopePropertyCount { get; set; }

        public KeyValuePair<string, object?> PropertyAt(int index) => _properties![index];

        /// <summary>Makes room for <paramref name="more"/> properties at once (exactly that many; not by doubling).</summary>
        public void ReserveProperties(int more)
        {
            var needed = PropertyCount + Math.Max(0, more);
            if (_properties is null) _properties = new KeyValuePair<string, object?>[needed];
            else if (_properties.Length < needed) Array.Resize(ref _properties, needed);
        }

        public void AddProperty(string key, object? value)
        {
            if (_properties is null || PropertyCount == _properties.Length) ReserveProperties(Math.Max(1, PropertyCount));
            _properties![PropertyCount++] = new KeyValuePair<string, object?>(key, value);
        }

        /// <summary>Scopes that are not key/value pairs, as text, outermost first.</summary>
        public List<string>? Scopes { get; set; }

        /// <summary>
        /// Puts the message and the template into <paramref name="view"/>, and the state's
        /// properties when they were left to the writer's thread; never throws. Nothing is written
        /// back to this entry: by then it is usually an old object, and what it pointed to would
        /// live on with it until a full collection.
        /// </summary>
        public abstract void ReadMessage(EntryView view);
    }

    /// <summary>An entry whose message, template and values were read on the caller's thread.</summary>
    internal sealed class RenderedLogEntry : PendingLogEntry, IEntryValues
    {
        public string Message { get; set; } = string.Empty;

        public string? Template { get; set; }

        public override void ReadMessage(EntryView view)
        {
            view.Message = Message;
            view.Template = Template;
        }
    }
}
