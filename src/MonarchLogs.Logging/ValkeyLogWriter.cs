using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Ingest;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// The one background loop of a provider: it takes what is queued, up to a batch, writes it
    /// in one pipeline, and while Valkey is away keeps the batch and retries with backoff. The
    /// buffer holds at most <see cref="MonarchValkeyLoggerOptions.BufferCapacity"/> entries,
    /// the part of the batches in flight the server has not taken included; a retry sends only
    /// that part, so an entry the server acknowledged is never stored twice. Past that, new
    /// entries are dropped and counted, and one entry reports the count once Valkey is back.
    /// </summary>
    internal sealed class ValkeyLogWriter : IDisposable
    {
        internal const string DropNoticeCategory = "MonarchLogs.Logging";

        private readonly Channel<PendingLogEntry> _queue = Channel.CreateUnbounded<PendingLogEntry>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private readonly Task _loop;
        private readonly MemoryStream _jsonBuffer = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private IConnectionMultiplexer? _connection;
        private RespLogAppender? _resp;
        private long _buffered;
        private long _unreportedDrops;
        private long _dropped;
        private long _written;
        private long _failingBatches;
        private int _disposed;
        private volatile bool _stopped;

        public ValkeyLogWriter(MonarchValkeyLoggerOptions options, string service)
        {
            _options = options;
            _service = service;
            _json = new Utf8JsonWriter(_jsonBuffer);
            MonarchLogsMetrics.Track(this);
            _loop = Task.Run(RunAsync);
        }

        /// <summary>Entries queued or in flight.</summary>
        public long Buffered => Interlocked.Read(ref _buffered);

        /// <summary>Entries dropped since start: buffer full, or not written by the flush timeout.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        /// <summary>Entries written to Valkey since start, drop notices included.</summary>
        public long Written => Interlocked.Read(ref _written);

        public void TryEnqueue(PendingLogEntry entry)
        {
            if (_stopped)
            {
                CountDrop();
                return;
            }

            if (Interlocked.Increment(ref _buffered) > _options.BufferCapacity || !_queue.Writer.TryWrite(entry))
            {
                Interlocked.Decrement(ref _buffered);
                CountDrop();
            }
        }

        public void CountCaptureFailure(Exception ex)
        {
            MonarchLogsEventSource.Log.CaptureFailed(ex.GetType().FullName + ": " + ex.Message);
            CountDrop();
        }

        private void CountDrop()
        {
            Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _unreportedDrops);
            MonarchLogsMetrics.EntriesDropped.Add(1);
        }

        private async Task RunAsync()
        {
            var reader = _queue.Reader;
            var batch = new List<MonarchLogEntry>(_options.MaxBatchSize);
            List<MonarchLogEntry>? flying = null;
            Task? inFlight = null;
            try
            {
                var config = ConfigurationOptions.Parse(_options.ConnectionString);
                config.AbortOnConnectFail = false;
                // Fail at once while disconnected: the buffer here, not the client's backlog,
                // holds entries during an outage, so they are counted and never sent twice.
                config.BacklogPolicy = BacklogPolicy.FailFast;
                config.ClientName ??= "MonarchLogs.Logging";
                var format = new StorageFormat(_options.KeyPrefix);
                ILogAppender store;
                if (RespLogAppender.Supports(config))
                {
                    // The common case, one Valkey endpoint: the lean RESP write path.
                    store = _resp = new RespLogAppender(config, format);
                }
                else
                {
                    // Sentinel, several endpoints, a tunnel or a proxy: StackExchange.Redis knows them.
                    _connection = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
                    store = new LogStore(_connection, format);
                }

                while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
                {
                    if (_options.BatchDelay > TimeSpan.Zero && Volatile.Read(ref _disposed) == 0)
                    {
                        await Task.Delay(_options.BatchDelay, _abort.Token).ConfigureAwait(false);
                    }

                    while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
                    {
                        batch.Add(Encode(pending));
                    }

                    // While Valkey answers, two batches are in flight: this one is encoded and sent
                    // while the server still works through the one before. While it fails, one
                    // at a time, so that the retries keep the entries' order.
                    if (inFlight is not null && Interlocked.Read(ref _failingBatches) > 0)
                    {
                        await inFlight.ConfigureAwait(false);
                        inFlight = null;
                        flying!.Clear();
                        await ReportDropsAsync(store).ConfigureAwait(false);
                    }

                    var write = WriteWithRetryAsync(store, batch, buffered: true, earlier: inFlight);
                    var spare = flying ?? new List<MonarchLogEntry>(_options.MaxBatchSize);
                    if (inFlight is not null)
                    {
                        await inFlight.ConfigureAwait(false);
                        spare.Clear();

                        // A batch just went through, so Valkey answers: report drops, if any.
                        await ReportDropsAsync(store).ConfigureAwait(false);
                    }

                    (inFlight, flying, batch) = (write, batch, spare);
                }

                if (inFlight is not null) await inFlight.ConfigureAwait(false);
                await ReportDropsAsync(store).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                var lost = Interlocked.Read(ref _buffered);
                if (lost > 0)
                {
                    Interlocked.Add(ref _dropped, lost);
                    MonarchLogsMetrics.EntriesDropped.Add(lost);
                    MonarchLogsEventSource.Log.FlushTimedOut(lost);
                }
            }
            catch (Exception ex)
            {
                // Never into the application: the entries still queued are lost and counted.
                MonarchLogsEventSource.Log.CaptureFailed("The writer stopped: " + ex);
                _stopped = true;
                var lost = Interlocked.Exchange(ref _buffered, 0);
                Interlocked.Add(ref _dropped, lost);
            }
        }

        private async Task WriteWithRetryAsync(ILogAppender store, List<MonarchLogEntry> batch, bool buffered, Task? earlier = null, Action? beforeAttempt = null)
        {
            var delay = _options.MinRetryDelay;
            var failing = false;
            // What the server took stays marked across retries, so a batch that failed in part
            // (server loading, out of memory, connection cut) is never stored twice.
            var stored = new bool[batch.Count];
            while (true)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (beforeAttempt is not null && Array.IndexOf(stored, true) < 0) beforeAttempt();
                    await AppendCountedAsync(store, batch, stored, buffered).ConfigureAwait(false);
                    MonarchLogsMetrics.BatchDuration.Record((Stopwatch.GetTimestamp() - started) * 1000.0 / Stopwatch.Frequency);
                    if (failing)
                    {
                        Interlocked.Decrement(ref _failingBatches);
                        MonarchLogsEventSource.Log.WriteResumed();
                    }

                    return;
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && _abort.IsCancellationRequested))
                {
                    if (!failing) Interlocked.Increment(ref _failingBatches);
                    failing = true;
                    if (earlier is not null)
                    {
                        // A batch that fails waits for the one sent before it, so retries go in
                        // order and the entries of an outage keep their order in the streams.
                        await earlier.ConfigureAwait(false);
                        earlier = null;
                        continue;
                    }

                    MonarchLogsEventSource.Log.WriteFailed(batch.Count, (int)delay.TotalMilliseconds, ex.GetType().Name + ": " + ex.Message);
                    await Task.Delay(delay, _abort.Token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
                }
            }
        }

        /// <summary>Appends, and counts what the server took as written and, for queued entries, as out of the buffer.</summary>
        private async Task AppendCountedAsync(ILogAppender store, List<MonarchLogEntry> batch, bool[] stored, bool buffered)
        {
            var before = CountMarked(stored);
            try
            {
                await store.AppendAsync(batch, stored, _abort.Token).ConfigureAwait(false);
            }
            finally
            {
                var written = CountMarked(stored) - before;
                MonarchLogsMetrics.EntriesWritten.Add(written);
                Interlocked.Add(ref _written, written);
                if (buffered) Interlocked.Add(ref _buffered, -written);
            }
        }

        private static int CountMarked(bool[] marks)
        {
            var count = 0;
            foreach (var mark in marks) if (mark) count++;
            return count;
        }

        /// <summary>Writes one entry saying how many were dropped since the last report.</summary>
        private async Task ReportDropsAsync(ILogAppender store)
        {
            if (Interlocked.Read(ref _unreportedDrops) == 0) return;
            long reported = 0;
            var notice = new List<MonarchLogEntry>(1) { DropNotice(0) };

            // Counted again before each attempt, so that drops made while Valkey is still away
            // go into the same one notice.
            await WriteWithRetryAsync(store, notice, buffered: false, beforeAttempt: () =>
            {
                reported = Interlocked.Read(ref _unreportedDrops);
                notice[0] = DropNotice(reported);
            }).ConfigureAwait(false);
            Interlocked.Add(ref _unreportedDrops, -reported);
            MonarchLogsEventSource.Log.EntriesDropped(reported, _options.BufferCapacity);
        }

        private MonarchLogEntry DropNotice(long drops) => new MonarchLogEntry
        {
            Timestamp = DateTime.UtcNow,
            Level = MonarchLogLevel.Warning,
            Service = _service,
            Category = DropNoticeCategory,
            Message = $"{drops} log entries were dropped because the buffer of {_options.BufferCapacity} entries was full",
            Template = "{DroppedEntries} log entries were dropped because the buffer of {BufferCapacity} entries was full",
            Properties = "{\"DroppedEntries\":" + drops + ",\"BufferCapacity\":" + _options.BufferCapacity + "}",
        };

        private MonarchLogEntry Encode(PendingLogEntry pending) => new MonarchLogEntry
        {
            Timestamp = pending.Timestamp,
            Level = pending.Level,
            Service = pending.Service,
            Category = pending.Category,
            Message = pending.Message,
            Template = pending.Template ?? string.Empty,
            EventId = pending.EventId,
            EventName = pending.EventName ?? string.Empty,
            ExceptionType = pending.Exception?.GetType().FullName ?? string.Empty,
            ExceptionMessage = pending.Exception?.Message ?? string.Empty,
            Exception = pending.Exception?.ToString() ?? string.Empty,
            TraceId = pending.TraceId ?? string.Empty,
            SpanId = pending.SpanId ?? string.Empty,
            Properties = PropertySnapshot.ToJson(pending.Properties, pending.Scopes, _jsonBuffer, _json),
        };

        /// <summary>Stops taking entries, writes what is queued within the flush timeout, then stops.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            _queue.Writer.TryComplete();
            try
            {
                if (!_loop.Wait(_options.FlushTimeout))
                {
                    _abort.Cancel();
                    _loop.Wait(TimeSpan.FromSeconds(2));
                }
            }
            catch (AggregateException)
            {
            }

            MonarchLogsMetrics.Untrack(this);
            _resp?.Dispose();
            _connection?.Dispose();
            _json.Dispose();
            _abort.Dispose();
        }
    }
}
