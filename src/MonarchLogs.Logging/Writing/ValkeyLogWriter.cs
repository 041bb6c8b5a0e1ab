using System;
using System.Threading;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// What the provider holds of its writer: it takes entries, says how the writer does, and
    /// stops it. The parts, each in its own file:
    /// <list type="bullet">
    /// <item><see cref="BufferAccount"/>: where every entry logged is (buffered, written, or
    /// dropped and counted by reason in the <see cref="DropLedger"/>); the buffer holds at most
    /// <see cref="MonarchValkeyLoggerOptions.BufferCapacity"/> entries, those in flight included.</item>
    /// <item><see cref="BatchingLoop"/>: the one background loop, which takes the queue in batches
    /// and never dies; <see cref="EntryPreparer"/> makes each entry ready for its batch.</item>
    /// <item><see cref="BatchSender"/>: writes a batch, retrying what may pass and setting aside
    /// (<see cref="SetAside"/>) a partition or the store that refuses for good.</item>
    /// <item><see cref="DropReporter"/>: reports what was not stored in one notice in the store.</item>
    /// <item><see cref="WriterConnection"/>: the connection the loop opens and closes.</item>
    /// </list>
    /// </summary>
    internal sealed class ValkeyLogWriter : IDisposable
    {
        /// <summary>How long Dispose waits for the loop to stop once the flush timeout ran out and it was cancelled.</summary>
        private static readonly TimeSpan DisposeStopGrace = TimeSpan.FromSeconds(2);

        /// <summary>The same at process exit, kept short: the process is ending, and the counts no longer wait for the loop.</summary>
        private static readonly TimeSpan ProcessExitStopGrace = TimeSpan.FromMilliseconds(500);

        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private readonly BufferAccount _account;
        private readonly DropLedger _ledger;
        private readonly SetAside _setAside;
        private readonly EntryPreparer _preparer;
        private readonly BatchSender _sender;
        private readonly WriterConnection _connection;
        private readonly BatchingLoop _loop;
        private readonly ManualResetEventSlim _stopped = new ManualResetEventSlim();
        private int _disposed;

        /// <summary>Why an entry logged once the writer stopped taking entries is not stored.</summary>
        private volatile DropReason _lateReason = DropReason.NotSentAtShutdown;

        public ValkeyLogWriter(MonarchValkeyLoggerOptions options, string service)
        {
            _options = options;
            _service = service;
            var format = new StorageFormat(options.Prefix);
            _account = new BufferAccount(service, options.BufferCapacity);
            _ledger = _account.Ledger;
            _setAside = new SetAside(options.MaxRetryDelay, TimeSpan.FromTicks(Math.Max(options.MaxRetryDelay.Ticks, TimeSpan.FromMinutes(1).Ticks)));
            _preparer = new EntryPreparer(options, service, format, _account, _setAside);
            _sender = new BatchSender(options, service, format, _abort, _account, _setAside);
            var reporter = new DropReporter(options, service, format, _abort, _ledger, _setAside, _sender);
            _connection = new WriterConnection(options, format, service, _abort);
            MonarchLogsMetrics.Track(this);
            _loop = new BatchingLoop(options, service, _abort, _account, _preparer, _sender, reporter, _connection);
            // Registered once the loop exists: a process that exits at once stops a whole writer.
            ProcessExitFlush.Register(this);
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
        internal void FailOnceForTest() => _loop.FailOnceForTest();

        public void TryEnqueue(PendingLogEntry entry)
        {
            if (!_account.TryReserve()) return;

            // Logged after shutdown began.
            if (!_loop.TryAdd(entry)) _account.Unreserve(_lateReason);
        }

        public void CountCaptureFailure(Exception ex)
        {
            MonarchLogsEventSource.Log.CaptureFailed(_service, SafeText.Describe(ex));
            _account.NotCaptured();
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
            _loop.Drain(flushTimeout, stopGrace);

            var (neverSent, unconfirmed) = _account.Close(notSent);
            if (neverSent + unconfirmed > 0 && notSent == DropReason.NotSentAtProcessExit) MonarchLogsEventSource.Log.ProcessExitFlushTimedOut(_service, neverSent, unconfirmed);
            else if (neverSent + unconfirmed > 0) MonarchLogsEventSource.Log.FlushTimedOut(_service, neverSent, unconfirmed);

            MonarchLogsMetrics.Untrack(this);
            ProcessExitFlush.Unregister(this);
            _connection.Close();
            _preparer.Dispose();
            _abort.Dispose();
            _stopped.Set();
        }
    }
}
