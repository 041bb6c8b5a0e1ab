using System;
using System.Collections.Generic;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// What the loop does to each entry it takes off the queue before it goes into a batch: drops
    /// it (counted) when its partition or the store is set aside, keeps the service within
    /// <see cref="MonarchValkeyLoggerOptions.MaxServices"/>, and encodes it (<see cref="EntryEncoder"/>)
    /// without ever throwing.
    /// </summary>
    internal sealed class EntryPreparer : IDisposable
    {
        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly StorageFormat _format;
        private readonly BufferAccount _account;
        private readonly DropLedger _ledger;
        private readonly SetAside _setAside;
        private readonly EntryEncoder _encoder;
        private readonly EntryView _view = new EntryView();
        private readonly HashSet<string> _services = new HashSet<string>(StringComparer.Ordinal);

        public EntryPreparer(MonarchValkeyLoggerOptions options, string service, StorageFormat format, BufferAccount account, SetAside setAside)
        {
            _options = options;
            _service = service;
            _format = format;
            _account = account;
            _ledger = account.Ledger;
            _setAside = setAside;
            _encoder = new EntryEncoder(options);
            _services.Add(service);
        }

        /// <summary>
        /// The stored form of a queued entry, or null when it is dropped here (its partition or
        /// the store is set aside). Never throws: an entry that cannot be encoded is stored in a
        /// safe form, and only if that fails too is it counted as not captured.
        /// </summary>
        public MonarchLogEntry? Prepare(PendingLogEntry pending, DateTime now)
        {
            if (_setAside.IsBlocked(SetAside.Store, now, out var storeError))
            {
                _account.Drop(DropReason.StoreRefused, 1, "store: " + storeError!.ErrorId);
                return null;
            }

            try
            {
                _view.Load(pending);
                return Prepare(_view, now);
            }
            finally
            {
                _view.Clear();
            }
        }

        private MonarchLogEntry? Prepare(EntryView view, DateTime now)
        {
            var pending = view.Pending;
            if (!StorageFormat.IsValidServiceName(view.Service)) view.Service = _service;
            LimitServices(view);
            var partition = _format.GetPartition(view.Service, LevelOf(pending.Level));
            if (_setAside.IsBlocked(partition.StreamKey, now, out var partitionError))
            {
                _account.Drop(DropReason.PartitionRefused, 1, partition.StreamKey + ": " + partitionError!.ErrorId);
                return null;
            }

            try
            {
                var entry = _encoder.Encode(view, out var truncated);
                if (truncated) _ledger.AddTruncated();
                return entry;
            }
            catch (Exception ex)
            {
                try
                {
                    return new MonarchLogEntry
                    {
                        Timestamp = pending.Timestamp,
                        Level = LevelOf(pending.Level),
                        Service = view.Service,
                        Category = pending.Category ?? string.Empty,
                        Message = $"[The log entry could not be encoded: {SafeText.Describe(ex)}]",
                        EventId = pending.EventId,
                        ExceptionType = pending.Exception?.GetType().FullName ?? string.Empty,
                    };
                }
                catch (Exception again)
                {
                    MonarchLogsEventSource.Log.CaptureFailed(_service, SafeText.Describe(again));
                    _account.Drop(DropReason.CaptureFailed, 1, null);
                    return null;
                }
            }
        }

        private static MonarchLogLevel LevelOf(MonarchLogLevel level) =>
            level < MonarchLogLevel.Trace ? MonarchLogLevel.Trace : level > MonarchLogLevel.Critical ? MonarchLogLevel.Critical : level;

        /// <summary>Past the limit of distinct services, an entry stays with this host's service and says which it asked for.</summary>
        private void LimitServices(EntryView view)
        {
            if (_services.Contains(view.Service)) return;
            if (_services.Count < _options.MaxServices)
            {
                _services.Add(view.Service);
                return;
            }

            view.AddProperty("RequestedService", view.Service);
            view.Service = _service;
            _ledger.AddRerouted();
        }

        public void Dispose() => _encoder.Dispose();
    }
}
