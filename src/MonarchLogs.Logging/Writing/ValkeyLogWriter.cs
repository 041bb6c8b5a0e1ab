using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// The one background loop of a provider: it takes what is queued, up to a batch, and
    /// appends it, one server-side append per partition.
    /// <list type="bullet">
    /// <item>While Valkey fails in a way that may pass, it keeps the batch and retries with backoff,
    /// up to <see cref="MonarchValkeyLoggerOptions.RetryTimeLimit"/>; a retry sends only what the
    /// server did not take, so an acknowledged entry is never stored twice.</item>
    /// <item>A partition that refuses for good (WRONGTYPE, NOPERM) is set aside: its entries are
    /// dropped and counted with the reason, every other partition goes on, and it is tried again
    /// after a backoff. The same for the whole store (another format version).</item>
    /// <item>The buffer holds at most <see cref="MonarchValkeyLoggerOptions.BufferCapacity"/>
    /// entries, those in flight included; past it, new entries are dropped and counted.</item>
    /// <item>Every entry not stored is counted by reason (<see cref="DropLedger"/>) and reported
    /// in one stored notice once Valkey takes writes again.</item>
    /// <item>The loop never dies of one entry (a safe form is stored instead); if it fails anyway,
    /// what it held is counted, it is restarted, and the restart is reported in the store.</item>
    /// </list>
    /// </summary>
    internal sealed class ValkeyLogWriter : IDisposable
    {
        /// <summary>How long Dispose waits for the loop to stop once the flush timeout ran out and it was cancelled.</summary>
        private static readonly TimeSpan DisposeStopGrace = TimeSpan.FromSeconds(2);

        /// <summary>The same at process exit, kept short: the process is ending, and the counts no longer wait for the loop.</summary>
        private static readonly TimeSpan ProcessExitStopGrace = TimeSpan.FromMilliseconds(500);

        private readonly Channel<PendingLogEntry> _queue = Channel.CreateUnbounded<PendingLogEntry>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly StorageFormat _format;
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private readonly BufferAccount _account;
        private readonly DropLedger _ledger;
        private readonly EntryEncoder _encoder;
        private readonly SetAside _setAside;
        private readonly BatchSender _sender;
        private readonly DropReporter _reporter;
        private readonly HashSet<string> _services = new HashSet<string>(StringComparer.Ordinal);
        private readonly Task _loop;
        private readonly ManualResetEventSlim _stopped = new ManualResetEventSlim();
        private IConnectionMultiplexer? _connection;
        private IDisposable? _owned;
        private int _disposed;

        /// <summary>Why an entry logged once the writer stopped taking entries is not stored.</summary>
        private volatile DropReason _lateReason = DropReason.NotSentAtShutdown;
        private int _faultRequested;

        public ValkeyLogWriter(MonarchValkeyLoggerOptions options, string service)
        {
            _options = options;
            _service = service;
            _format = new StorageFormat(options.KeyPrefix);
            _account = new BufferAccount(service, options.BufferCapacity);
            _ledger = _account.Ledger;
            _encoder = new EntryEncoder(options);
            _setAside = new SetAside(options.MaxRetryDelay, TimeSpan.FromTicks(Math.Max(options.MaxRetryDelay.Ticks, TimeSpan.FromMinutes(1).Ticks)));
            _sender = new BatchSender(options, service, _format, _abort, _account, _setAside);
            _reporter = new DropReporter(options, service, _format, _abort, _ledger, _setAside, _sender);
            _services.Add(service);
            MonarchLogsMetrics.Track(this);
            ProcessExitFlush.Register(this);
            _loop = Task.Run(SuperviseAsync);
        }

        /// <summary>Entries queued or in flight.</summary>
        public long Buffered => _account.Buffered;

        /// <summary>Entries not stored since start, for any reason.</summary>
        public long Dropped => _ledger.Total;

        /// <summary>Entries written to Valkey since start, drop notices included.</summary>
        public long Written => _account.Written;

        internal DropLedger Ledger => _ledger;

        /// <summary>Where every entry logged is: buffered, written or dropped.</summary>
        internal BufferAccount Account => _account;

        /// <summary>What a health check needs: the buffer, whether writes fail now, when one last worked, the drops.</summary>
        internal WriterHealth Health => new WriterHealth(
            Buffered,
            _options.BufferCapacity,
            failing: _sender.IsFailing || _setAside.Count > 0,
            partitionsSetAside: _setAside.Count,
            lastWritten: _account.LastWritten,
            failingSince: _sender.FailingSince,
            lastDrop: _ledger.LastDrop,
            droppedByReason: _ledger.ByReason());

        internal string Service => _service;

        /// <summary>
        /// Makes the loop fail once, at its next batch, as a defect in it would: for the test that
        /// the loop is restarted, what it held is counted, and the restart is reported.
        /// </summary>
        internal void FailOnceForTest() => Volatile.Write(ref _faultRequested, 1);

        public void TryEnqueue(PendingLogEntry entry)
        {
            if (!_account.TryReserve()) return;

            // Logged after shutdown began.
            if (!_queue.Writer.TryWrite(entry)) _account.Unreserve(_lateReason);
        }

        public void CountCaptureFailure(Exception ex)
        {
            MonarchLogsEventSource.Log.CaptureFailed(_service, SafeText.Describe(ex));
            _account.NotCaptured();
        }

        /// <summary>Runs the loop; if it fails, counts what it held, restarts it, and says so in the next notice.</summary>
        private async Task SuperviseAsync()
        {
            var wait = _options.MinRetryDelay;
            while (true)
            {
                try
                {
                    await RunAsync().ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (_abort.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    var held = _account.DropHeld("writer: " + ex.GetType().FullName);
                    _ledger.AddRestart();
                    MonarchLogsEventSource.Log.WriterRestarted(_service, held, ex.ToString());
                    CloseConnections();
                    try
                    {
                        await Task.Delay(wait, _abort.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, _options.MaxRetryDelay.Ticks));
                }
            }
        }

        private async Task RunAsync()
        {
            var reader = _queue.Reader;
            var appender = await OpenAppenderAsync().ConfigureAwait(false);
            var batch = new List<MonarchLogEntry>(_options.MaxBatchSize);
            List<MonarchLogEntry>? flying = null;
            Task? inFlight = null;
            try
            {
                while (true)
                {
                    var waiting = reader.WaitToReadAsync(_abort.Token);
                    if (!waiting.IsCompleted && inFlight is not null)
                    {
                        // Nothing more queued: finish the batch in flight and report drops now,
                        // not when the next entry comes.
                        await SettleInFlightAsync().ConfigureAwait(false);
                    }

                    if (!waiting.IsCompleted && _reporter.HasUnreported)
                    {
                        // Drops held back by the one-notice-a-second limit, or a notice Valkey
                        // refused: report them when the second is up, and again a second after each
                        // attempt that did not store the notice, unless an entry comes first.
                        var next = waiting.AsTask();
                        await _reporter.ReportWhileIdleAsync(appender, next).ConfigureAwait(false);
                        waiting = new ValueTask<bool>(next);
                    }

                    if (!await waiting.ConfigureAwait(false)) break;
                    if (_options.BatchDelay > TimeSpan.Zero && Volatile.Read(ref _disposed) == 0)
                    {
                        await Task.Delay(_options.BatchDelay, _abort.Token).ConfigureAwait(false);
                    }

                    var now = DateTime.UtcNow;
                    while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
                    {
                        _account.Take();
                        var entry = Prepare(pending, now);
                        if (entry is not null) batch.Add(entry);
                    }

                    if (Interlocked.Exchange(ref _faultRequested, 0) == 1) throw new InvalidOperationException("A fault injected by a test.");
                    if (batch.Count == 0)
                    {
                        // Everything was dropped here (set aside): say so, if the notice can go in.
                        if (inFlight is null) await _reporter.ReportDropsAsync(appender, throttled: true).ConfigureAwait(false);
                        continue;
                    }

                    // While Valkey answers, two batches are in flight: this one is encoded and sent
                    // while the server still works through the one before. While it fails, one
                    // at a time, so that the retries keep the entries' order.
                    if (inFlight is not null && _sender.IsFailing)
                    {
                        await SettleInFlightAsync().ConfigureAwait(false);
                    }

                    var write = _sender.WriteAsync(appender, batch, counted: true, earlier: inFlight);
                    var spare = flying ?? new List<MonarchLogEntry>(_options.MaxBatchSize);
                    // A batch just went through, so Valkey answers: report drops, if any.
                    if (inFlight is not null) await SettleInFlightAsync().ConfigureAwait(false);

                    (inFlight, flying, batch) = (write, batch, spare);
                }

                if (inFlight is not null) await inFlight.ConfigureAwait(false);
                inFlight = null;
                await _reporter.ReportDropsAsync(appender).ConfigureAwait(false);
            }
            finally
            {
                // A loop that fails lets the batch in flight finish before what it held is counted.
                if (inFlight is not null)
                {
                    try
                    {
                        await inFlight.ConfigureAwait(false);
                    }
                    catch
                    {
                    }
                }
            }

            // Waits for the batch in flight, frees its list for the next batch, and reports drops
            // now that Valkey has answered.
            async Task SettleInFlightAsync()
            {
                await inFlight!.ConfigureAwait(false);
                inFlight = null;
                flying!.Clear();
                await _reporter.ReportDropsAsync(appender, throttled: true).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Connects through StackExchange.Redis, which serves one server, several endpoints,
        /// Sentinel (following its announcements) and a Valkey Cluster (routing each partition's
        /// append to the node that owns its slot).
        /// </summary>
        private async Task<ILogAppender> OpenAppenderAsync()
        {
            var config = ConfigurationOptions.Parse(_options.ConnectionString);
            config.AbortOnConnectFail = false;
            // Fail at once while disconnected: the buffer here, not the client's backlog, holds
            // entries during an outage, so they are counted and never sent twice.
            config.BacklogPolicy = BacklogPolicy.FailFast;
            config.ClientName ??= "MonarchLogs.Logging";
            if (_options.TrustedCertificateAuthorityPath is { Length: > 0 } authority) config.TrustIssuer(authority);
            if (SentinelAppender.Serves(config))
            {
                // Behind Sentinel: follow its announcements, never a master being demoted.
                var sentinel = new SentinelAppender(config, _format, NewAppender);
                _owned = sentinel;
                return sentinel;
            }

            // Shutdown does not wait for a first connect that hangs.
            var connect = ConnectionMultiplexer.ConnectAsync(config);
            var cancelled = Task.Delay(Timeout.Infinite, _abort.Token);
            if (await Task.WhenAny(connect, cancelled).ConfigureAwait(false) == cancelled)
            {
                _ = connect.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                _abort.Token.ThrowIfCancellationRequested();
            }

            _connection = await connect.ConfigureAwait(false);
            return NewAppender(_connection);
        }

        private StoreAppender NewAppender(IConnectionMultiplexer connection) => new StoreAppender(connection, _format)
        {
            ReplicaAcknowledgements = _options.ReplicaAcknowledgements,
            ReplicaAcknowledgementTimeout = _options.ReplicaAcknowledgementTimeout,
        };

        /// <summary>
        /// The stored form of a queued entry, or null when it is dropped here (its partition or
        /// the store is set aside). Never throws: an entry that cannot be encoded is stored in a
        /// safe form, and only if that fails too is it counted as not captured.
        /// </summary>
        private MonarchLogEntry? Prepare(PendingLogEntry pending, DateTime now)
        {
            if (_setAside.IsBlocked(SetAside.Store, now, out var storeError))
            {
                _account.Drop(DropReason.StoreRefused, 1, "store: " + storeError!.ErrorId);
                return null;
            }

            if (!StorageFormat.IsValidServiceName(pending.Service)) pending.Service = _service;
            LimitServices(pending);
            var partition = _format.GetPartition(pending.Service, LevelOf(pending.Level));
            if (_setAside.IsBlocked(partition.StreamKey, now, out var partitionError))
            {
                _account.Drop(DropReason.PartitionRefused, 1, partition.StreamKey + ": " + partitionError!.ErrorId);
                return null;
            }

            try
            {
                var entry = _encoder.Encode(pending, out var truncated);
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
                        Service = pending.Service,
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
        private void LimitServices(PendingLogEntry pending)
        {
            if (_services.Contains(pending.Service)) return;
            if (_services.Count < _options.MaxServices)
            {
                _services.Add(pending.Service);
                return;
            }

            (pending.Properties ??= new List<KeyValuePair<string, object?>>()).Add(new KeyValuePair<string, object?>("RequestedService", pending.Service));
            pending.Service = _service;
            _ledger.AddRerouted();
        }

        private void CloseConnections()
        {
            Interlocked.Exchange(ref _connection, null)?.Dispose();
            Interlocked.Exchange(ref _owned, null)?.Dispose();
        }

        /// <summary>
        /// Stops taking entries, writes what is queued within the flush timeout, then stops. What
        /// is left is counted: sent but unanswered as unconfirmed (it may be stored), the rest as
        /// not sent.
        /// </summary>
        public void Dispose() => Stop(_options.FlushTimeout, DisposeStopGrace, DropReason.NotSentAtShutdown);

        /// <summary>
        /// As <see cref="Dispose"/>, for a process that ends without disposing the provider
        /// (<see cref="ProcessExitFlush"/>): within <see cref="MonarchValkeyLoggerOptions.ProcessExitFlushTimeout"/>,
        /// and what was never sent is counted as <see cref="DropReason.NotSentAtProcessExit"/>. When
        /// Dispose is running already (on another thread), it waits for it as long, so that the
        /// exit does not cut it off.
        /// </summary>
        public void StopAtProcessExit() => Stop(_options.ProcessExitFlushTimeout, ProcessExitStopGrace, DropReason.NotSentAtProcessExit);

        private void Stop(TimeSpan flushTimeout, TimeSpan stopGrace, DropReason notSent)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                _stopped.Wait(flushTimeout + stopGrace);
                return;
            }

            _lateReason = notSent;
            _queue.Writer.TryComplete();
            try
            {
                if (!_loop.Wait(flushTimeout))
                {
                    _abort.Cancel();
                    _loop.Wait(stopGrace);
                }
            }
            catch (AggregateException)
            {
            }

            var (neverSent, unconfirmed) = _account.Close(notSent);
            if (neverSent + unconfirmed > 0 && notSent == DropReason.NotSentAtProcessExit) MonarchLogsEventSource.Log.ProcessExitFlushTimedOut(_service, neverSent, unconfirmed);
            else if (neverSent + unconfirmed > 0) MonarchLogsEventSource.Log.FlushTimedOut(_service, neverSent, unconfirmed);

            MonarchLogsMetrics.Untrack(this);
            ProcessExitFlush.Unregister(this);
            CloseConnections();
            _encoder.Dispose();
            _abort.Dispose();
            _stopped.Set();
        }
    }
}
