using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using MonarchLogs.Core;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// The one background loop of a provider, as Serilog's BatchingSink: it takes what is queued,
    /// up to <see cref="MonarchValkeyLoggerOptions.MaxBatchSize"/> (after
    /// <see cref="MonarchValkeyLoggerOptions.BatchDelay"/>, if set), or up to
    /// <see cref="MonarchValkeyLoggerOptions.BacklogBatchSize"/> when more than a batch is queued,
    /// and hands each batch to the
    /// <see cref="BatchSender"/>. While Valkey answers, two batches are in flight; while it fails,
    /// one, so that retries keep the order. Between batches, and when idle, the
    /// <see cref="DropReporter"/> reports drops. At shutdown it writes what is queued. It never
    /// dies: if it fails, what it held is counted, it is restarted, and the restart is reported.
    /// </summary>
    internal sealed class BatchingLoop
    {
        private readonly Channel<PendingLogEntry> _queue = Channel.CreateUnbounded<PendingLogEntry>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly CancellationTokenSource _abort;
        private readonly BufferAccount _account;
        private readonly DropLedger _ledger;
        private readonly EntryPreparer _preparer;
        private readonly BatchSender _sender;
        private readonly DropReporter _reporter;
        private readonly WriterConnection _connection;
        private readonly Task _task;

        /// <summary>Set once shutdown began: what is queued goes at once, without the batch delay.</summary>
        private int _draining;
        private int _faultRequested;

        public BatchingLoop(MonarchValkeyLoggerOptions options, string service, CancellationTokenSource abort, BufferAccount account, EntryPreparer preparer, BatchSender sender, DropReporter reporter, WriterConnection connection)
        {
            _options = options;
            _service = service;
            _abort = abort;
            _account = account;
            _ledger = account.Ledger;
            _preparer = preparer;
            _sender = sender;
            _reporter = reporter;
            _connection = connection;
            _task = Task.Run(SuperviseAsync);
        }

        /// <summary>Queues an entry; false once <see cref="Drain"/> began.</summary>
        public bool TryAdd(PendingLogEntry entry) => _queue.Writer.TryWrite(entry);

        /// <summary>Makes the loop fail once, at its next batch.</summary>
        public void FailOnceForTest() => Volatile.Write(ref _faultRequested, 1);

        /// <summary>
        /// Takes no more entries and lets the loop write what is queued within
        /// <paramref name="flushTimeout"/>; then cancels it, and waits <paramref name="stopGrace"/>
        /// more for it to stop.
        /// </summary>
        public void Drain(TimeSpan flushTimeout, TimeSpan stopGrace)
        {
            Volatile.Write(ref _draining, 1);
            _queue.Writer.TryComplete();
            try
            {
                if (!_task.Wait(flushTimeout))
                {
                    _abort.Cancel();
                    _task.Wait(stopGrace);
                }
            }
            catch (AggregateException)
            {
            }
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
                    _connection.Close();
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

        /// <summary>
        /// <see cref="MonarchValkeyLoggerOptions.MaxBatchSize"/>, or while more than that is queued
        /// (the writer is behind), <see cref="MonarchValkeyLoggerOptions.BacklogBatchSize"/>: then a
        /// busy partition's share of the batch is a block of its stream, not of its head.
        /// </summary>
        private int BatchLimit() =>
            _options.BacklogBatchSize > _options.MaxBatchSize && _account.Queued > _options.MaxBatchSize
                ? _options.BacklogBatchSize
                : _options.MaxBatchSize;

        private async Task RunAsync()
        {
            var reader = _queue.Reader;
            var appender = await _connection.OpenAppenderAsync().ConfigureAwait(false);
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
                    if (_options.BatchDelay > TimeSpan.Zero && Volatile.Read(ref _draining) == 0)
                    {
                        await Task.Delay(_options.BatchDelay, _abort.Token).ConfigureAwait(false);
                    }

                    var now = DateTime.UtcNow;
                    var limit = BatchLimit();
                    while (batch.Count < limit && reader.TryRead(out var pending))
                    {
                        _account.Take();
                        var entry = _preparer.Prepare(pending, now);
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
    }
}
