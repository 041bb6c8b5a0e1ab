using System;
using System.Collections.Generic;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// A queued entry as the writer reads it, one at a time: the fields the writer may change (the
    /// service, the message, the template, the properties) copied from the
    /// <see cref="PendingLogEntry"/> or read from its deferred state, in a buffer the writer keeps.
    /// The queued entry is not written to: it has usually outlived a collection or two by then,
    /// and the strings and values hung on it would live on with it, moved from generation to
    /// generation, until a full collection.
    /// </summary>
    internal sealed class EntryView : IEntryValues
    {
        /// <summary>A buffer grown past this for one entry is not kept for the next.</summary>
        private const int KeptPropertyCapacity = 256;

        private KeyValuePair<string, object?>[] _properties = new KeyValuePair<string, object?>[16];
        private int _count;

        /// <summary>The entry read; its other fields are read from it as they are.</summary>
        public PendingLogEntry Pending { get; private set; } = null!;

        public string Service { get; set; } = string.Empty;

        public string Message { get; set; } = string.Empty;

        public string? Template { get; set; }

        /// <summary>The scope properties, then the state's, in order: a view of this buffer, made once.</summary>
        public IReadOnlyList<KeyValuePair<string, object?>> Properties { get; }

        public EntryView() => Properties = new PropertyList(this);

        /// <summary>Reads <paramref name="pending"/>, its deferred state included; never throws.</summary>
        public void Load(PendingLogEntry pending)
        {
            Pending = pending;
            Service = pending.Service;
            _count = 0;
            ReserveProperties(pending.PropertyCount);
            for (var i = 0; i < pending.PropertyCount; i++) _properties[_count++] = pending.PropertyAt(i);
            pending.ReadMessage(this);
        }

        /// <summary>Lets go of the entry and of everything read from it.</summary>
        public void Clear()
        {
            Array.Clear(_properties, 0, _count);
            if (_properties.Length > KeptPropertyCapacity) _properties = new KeyValuePair<string, object?>[16];
            _count = 0;
            Pending = null!;
            Service = string.Empty;
            Message = string.Empty;
            Template = null;
        }

        public void ReserveProperties(int more)
        {
            if (_count + more > _properties.Length) Array.Resize(ref _properties, Math.Max(_count + more, _properties.Length * 2));
        }

        public void AddProperty(string key, object? value)
        {
            if (_count == _properties.Length) ReserveProperties(1);
            _properties[_count++] = new KeyValuePair<string, object?>(key, value);
        }

        /// <summary>The properties of the entry the view holds, read in place (no segment boxed per entry).</summary>
        private sealed class PropertyList : IReadOnlyList<KeyValuePair<string, object?>>
        {
            private readonly EntryView _view;

            public PropertyList(EntryView view) => _view = view;

            public int Count => _view._count;

            public KeyValuePair<string, object?> this[int index] =>
                (uint)index < (uint)_view._count ? _view._properties[index] : throw new ArgumentOutOfRangeException(nameof(index));

            public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
            {
                for (var i = 0; i < _view._count; i++) yield return _view._properties[i];
            }

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
