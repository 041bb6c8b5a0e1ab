using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Sends one batch to Valkey and sees it through what fails, as Serilog keeps its
    /// failure-aware scheduling apart from its batching loop; each failure is taken by its kind
    /// in <see cref="StoreErrors"/>, for each partition on its own:
    /// <list type="bullet">
    /// <item>A failure that may pass keeps the batch and retries it with backoff, from
    /// <see cref="MonarchValkeyLoggerOptions.MinRetryDelay"/> up to
    /// <see cref="MonarchValkeyLoggerOptions.MaxRetryDelay"/>, until
    /// <see cref="MonarchValkeyLoggerOptions.RetryTimeLimit"/>; a retry sends only what the
    /// server did not take, so an acknowledged entry is never stored twice.</item>
    /// <item>A partition that refuses for good (WRONGTYPE, NOPERM) is set aside (<see cref="SetAside"/>):
    /// its entries are dropped and counted with the reason, and every other partition goes on.
    /// The same for the whole store (another format version, credentials refused).</item>
    /// <item>A store of format 1 (<see cref="StoreErrors.NeedsUpgrade"/>) is waited for as an
    /// outage is, without a time limit: the batch is kept and tried again (the format is read
    /// again at each attempt) until the store is upgraded, and the buffer holds what comes meanwhile;
    /// only what does not fit in it is dropped (and counted). The refusal is reported once.</item>
    /// </list>
    /// What the server took, and what is given up, is counted in the <see cref="BufferAccount"/>.
    /// A drop notice is sent the same way; it was never logged, so it is counted as a notice
    /// written, and never as an entry dropped.
    /// </summary>
    internal sealed class BatchSender
    {
        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly StorageFormat _format;
        private readonly CancellationTokenSource _abort;
        private readonly BufferAccount _account;
        private readonly SetAside _setAside;
        private long _failingBatches;
        private long _failingSinceTicks;

        /// <summary>1 while the store refuses as one to upgrade and that was reported; reported again only after a write worked.</summary>
        private int _upgradeReported;

        public BatchSender(MonarchValkeyLoggerOptions options, string service, StorageFormat format, CancellationTokenSource abort, BufferAccount account, SetAside setAside)
        {
            _options = options;
            _service = service;
            _format = format;
            _abort = abort;
            _account = account;
            _setAside = setAside;
        }

        /// <summary>A batch is being retried now.</summary>
        public bool IsFailing => Interlocked.Read(ref _failingBatches) > 0;

        /// <summary>When the batches being retried now began to fail (UTC); null while none is.</summary>
        public DateTime? FailingSince => Interlocked.Read(ref _failingSinceTicks) is var since and > 0 ? new DateTime(since, DateTimeKind.Utc) : null;


        /// <summary>Writes a batch, retrying what may pass; true when the server stored every entry of it.</summary>
        public async Task<bool> WriteAsync(ILogAppender appender, List<MonarchLogEntry> entries, bool counted, Task? earlier = null, Action? beforeAttempt = null)
        {
            var batch = new AppendBatch(entries);

            // A retry sends the blocks: the entries go as soon as they are encoded, rather than
            // outlive, with every string they hold, the collections that come while the batch is
            // in flight. Only what the blocks tell is read of the batch after that.
            if (counted) batch.Encoded = entries.Clear;

            // Only batches of buffered entries are listed: a drop notice is no entry of the buffer.
            if (counted) _account.Sending(batch);
            try
            {
                await WriteWithRetryAsync(appender, batch, counted, earlier, beforeAttempt).ConfigureAwait(false);
                return batch.StoredCount == batch.Count;
            }
            finally
            {
                // A batch cut off by shutdown stays listed: Dispose counts what it sent as
                // unconfirmed (it may be stored), not as never sent.
                if (counted && !_abort.IsCancellationRequested) _account.Answered(batch);
            }
        }

        private async Task WriteWithRetryAsync(ILogAppender appender, AppendBatch batch, bool counted, Task? earlier, Action? beforeAttempt)
        {
            var delay = _options.MinRetryDelay;
            var failing = false;
            long failingSince = 0;
            var stored = 0;
            try
            {
                while (true)
                {
                    if (beforeAttempt is not null && batch.StoredCount == 0) beforeAttempt();
                    var started = Stopwatch.GetTimestamp();
                    MonarchLogsException? failure = null;
                    try
                    {
                        var result = await appender.AppendAsync(batch, _abort.Token).ConfigureAwait(false);
                        MonarchLogsMetrics.BatchDuration.Record((Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency, new KeyValuePair<string, object?>("service", _service));
                        if (result.RegistryFailure is { } registry) MonarchLogsEventSource.Log.RegistryWriteFailed(_service, registry.ErrorId, registry.Message);
                        foreach (var refused in result.Failures)
                        {
                            if (refused.Error.IsTransient)
                            {
                                failure ??= refused.Error;
                                continue;
                            }

                            SetPartitionAside(batch, refused, counted);
                        }

                        if (_setAside.Count > 0) Healed(batch);
                    }
                    catch (Exception ex) when (!_abort.IsCancellationRequested)
                    {
                        var error = StoreErrors.Classify(ex);
                        if (error.ErrorId == StoreErrors.NeedsUpgrade)
                        {
                            if (Interlocked.Exchange(ref _upgradeReported, 1) == 0) MonarchLogsEventSource.Log.StoreNeedsUpgrade(_service, error.ErrorId, error.Message);
                        }
                        else if (!error.IsTransient)
                        {
                            // The whole store refuses (another format version, credentials refused):
                            // this batch is given up and counted, later ones too until a retry works.
                            _setAside.Refused(SetAside.Store, error, DateTime.UtcNow);
                            var given = batch.GiveUpAll();
                            if (counted) _account.Drop(DropReason.StoreRefused, given, "store: " + error.ErrorId);
                            MonarchLogsEventSource.Log.StoreRefused(_service, error.ErrorId, error.Message);
                            return;
                        }

                        failure = error;
                    }
                    finally
                    {
                        var now = batch.StoredCount;
                        if (now > stored)
                        {
                            _account.CountWritten(now - stored, logged: counted);
                            stored = now;
                        }
                    }

                    if (batch.Unsettled == 0)
                    {
                        Interlocked.Exchange(ref _upgradeReported, 0);
                        if (_setAside.Healed(SetAside.Store)) MonarchLogsEventSource.Log.WriteResumed(_service);
                        return;
                    }

                    if (!failing)
                    {
                        failing = true;
                        failingSince = Stopwatch.GetTimestamp();
                        if (Interlocked.Increment(ref _failingBatches) == 1) Interlocked.CompareExchange(ref _failingSinceTicks, DateTime.UtcNow.Ticks, 0);
                    }

                    if (earlier is not null)
                    {
                        // A batch that fails waits for the one sent before it, so retries go in
                        // order and the entries of an outage keep their order in the streams.
                        await earlier.ConfigureAwait(false);
                        earlier = null;
                        continue;
                    }

                    var waitsForUpgrade = failure!.ErrorId == StoreErrors.NeedsUpgrade;
                    if (!waitsForUpgrade && Stopwatch.GetTimestamp() - failingSince > _options.RetryTimeLimit.TotalSeconds * Stopwatch.Frequency)
                    {
                        var given = batch.GiveUpAll();
                        if (counted) _account.Drop(DropReason.RetryTimeLimit, given, "retry limit: " + failure!.ErrorId);
                        MonarchLogsEventSource.Log.EntriesNotStored(_service, given, nameof(DropReason.RetryTimeLimit), failure!.Message);
                        return;
                    }

                    if (!waitsForUpgrade) MonarchLogsEventSource.Log.WriteFailed(_service, batch.Unsettled, (int)delay.TotalMilliseconds, failure.ErrorId + ": " + failure.Message);
                    await Task.Delay(delay, _abort.Token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
                }
            }
            finally
            {
                if (failing)
                {
                    if (Interlocked.Decrement(ref _failingBatches) == 0) Interlocked.Exchange(ref _failingSinceTicks, 0);
                    if (batch.StoredCount > 0) MonarchLogsEventSource.Log.WriteResumed(_service);
                }
            }
        }

        private void SetPartitionAside(AppendBatch batch, PartitionFailure refused, bool counted)
        {
            var key = refused.Partition.StreamKey;
            _setAside.Refused(key, refused.Error, DateTime.UtcNow);
            var given = batch.GiveUp(refused.Partition, _format);
            if (counted) _account.Drop(DropReason.PartitionRefused, given, key + ": " + refused.Error.ErrorId);
            MonarchLogsEventSource.Log.PartitionSetAside(_service, key, refused.Error.ErrorId, refused.Error.Message);
        }

        /// <summary>Partitions set aside that took an entry of this batch are healthy again.</summary>
        private void Healed(AppendBatch batch)
        {
            if (batch.Blocks is { } blocks)
            {
                // A block is stored whole.
                foreach (var block in blocks)
                {
                    if (batch.IsStored(block.Indexes[0]) && _setAside.Healed(block.Partition.StreamKey)) MonarchLogsEventSource.Log.WriteResumed(_service);
                }

                return;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (!batch.IsStored(i)) continue;
                var entry = batch.Entries[i];
                if (_setAside.Healed(_format.GetPartition(entry.Service, entry.Level).StreamKey)) MonarchLogsEventSource.Log.WriteResumed(_service);
            }
        }
    }
}
