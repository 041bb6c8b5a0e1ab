using System;
using System.Collections.Generic;
using System.Threading;
using MonarchLogs.Core.Append;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Where every entry handed to the writer is: in the buffer (queued or in flight), written, or
    /// not stored and counted by reason in the <see cref="Ledger"/>. Every entry goes in and out
    /// of the buffer through here, so that once the writer is at rest
    /// <see cref="Logged"/> = <see cref="EntriesWritten"/> + <see cref="DropLedger.Total"/> + <see cref="Buffered"/>,
    /// exactly. Drop notices are written but were never logged, so they are counted apart.
    /// </summary>
    internal sealed class BufferAccount
    {
        private readonly int _capacity;
        private readonly KeyValuePair<string, object?> _serviceTag;
        private readonly List<AppendBatch> _inFlight = new List<AppendBatch>(2);
        private long _logged;
        private long _buffered;
        private long _held;
        private long _entriesWritten;
        private long _noticesWritten;
        private long _lastWrittenTicks = DateTime.UtcNow.Ticks;
        private int _closed;

        public BufferAccount(string service, int capacity)
        {
            _capacity = capacity;
            _serviceTag = new KeyValuePair<string, object?>("service", service);
            Ledger = new DropLedger(service);
        }

        /// <summary>Entries not stored, by reason, and what of it is not yet reported.</summary>
        public DropLedger Ledger { get; }

        /// <summary>Entries handed to the writer since start, those it could not capture included.</summary>
        public long Logged => Interlocked.Read(ref _logged);

        /// <summary>Entries queued or in flight.</summary>
        public long Buffered => Interlocked.Read(ref _buffered);

        /// <summary>Entries queued that the loop has not taken yet (a moment's reading).</summary>
        public long Queued => Interlocked.Read(ref _buffered) - Interlocked.Read(ref _held);

        /// <summary>Entries written to Valkey since start, drop notices included.</summary>
        public long Written => EntriesWritten + NoticesWritten;

        /// <summary>Logged entries written to Valkey since start.</summary>
        public long EntriesWritten => Interlocked.Read(ref _entriesWritten);

        /// <summary>Drop notices written to Valkey since start.</summary>
        public long NoticesWritten => Interlocked.Read(ref _noticesWritten);

        /// <summary>When an entry or a notice was last written (UTC); the writer's start before the first.</summary>
        public DateTime LastWritten => new DateTime(Interlocked.Read(ref _lastWrittenTicks), DateTimeKind.Utc);

        /// <summary>Takes a logged entry into the buffer; false when the buffer is full (the entry is counted as <see cref="DropReason.BufferFull"/>).</summary>
        public bool TryReserve()
        {
            Interlocked.Increment(ref _logged);
            if (Interlocked.Increment(ref _buffered) > _capacity)
            {
                Interlocked.Decrement(ref _buffered);
                Ledger.Add(DropReason.BufferFull, 1);
                return false;
            }

            return true;
        }

        /// <summary>A reserved entry the queue did not take after all (logged after shutdown began).</summary>
        public void Unreserve(DropReason reason)
        {
            Interlocked.Decrement(ref _buffered);
            Ledger.Add(reason, 1);
        }

        /// <summary>A logged entry that could not be captured, so never reached the buffer.</summary>
        public void NotCaptured()
        {
            Interlocked.Increment(ref _logged);
            Ledger.Add(DropReason.CaptureFailed, 1);
        }

        /// <summary>The loop took an entry off the queue: it holds it until it is written or dropped.</summary>
        public void Take() => Interlocked.Increment(ref _held);

        /// <summary>Entries the loop held, not stored: out of the buffer and into the ledger.</summary>
        public void Drop(DropReason reason, long count, string? detail)
        {
            Settle(count);
            Ledger.Add(reason, count, detail);
        }

        /// <summary>Entries the server stored: held ones (<paramref name="logged"/>) leave the buffer; a notice never was in it.</summary>
        public void CountWritten(long count, bool logged)
        {
            if (logged) Interlocked.Add(ref _entriesWritten, count);
            else Interlocked.Add(ref _noticesWritten, count);
            Interlocked.Exchange(ref _lastWrittenTicks, DateTime.UtcNow.Ticks);
            MonarchLogsMetrics.EntriesWritten.Add(count, _serviceTag);
            if (logged) Settle(count);
        }

        /// <summary>The loop failed: everything it held is counted as <see cref="DropReason.WriterFault"/>; returns how many.</summary>
        public long DropHeld(string detail)
        {
            // Once closed, shutdown has counted what was held (not sent, unconfirmed).
            if (Volatile.Read(ref _closed) == 1) return 0;
            var held = Interlocked.Exchange(ref _held, 0);
            Interlocked.Add(ref _buffered, -held);
            Ledger.Add(DropReason.WriterFault, held, detail);
            return held;
        }

        /// <summary>A batch of held entries is about to be sent: listed, so that shutdown can tell sent from never sent.</summary>
        public void Sending(AppendBatch batch)
        {
            lock (_inFlight) _inFlight.Add(batch);
        }

        /// <summary>The batch is answered, stored or given up.</summary>
        public void Answered(AppendBatch batch)
        {
            lock (_inFlight) _inFlight.Remove(batch);
        }

        /// <summary>
        /// At shutdown, counts what is still buffered: sent but unanswered as unconfirmed (it may be
        /// stored), the rest as <paramref name="notSent"/>. Nothing held is settled after this.
        /// </summary>
        public (long NotSent, long Unconfirmed) Close(DropReason notSent)
        {
            long unconfirmed = 0;
            lock (_inFlight)
            {
                foreach (var batch in _inFlight)
                {
                    if (batch.Sent) unconfirmed += batch.Unsettled;
                }

                Volatile.Write(ref _closed, 1);
            }

            var left = Interlocked.Exchange(ref _buffered, 0);
            unconfirmed = Math.Min(unconfirmed, left);
            Ledger.Add(DropReason.UnconfirmedAtShutdown, unconfirmed);
            Ledger.Add(notSent, left - unconfirmed);
            return (left - unconfirmed, unconfirmed);
        }

        /// <summary>Entries out of the buffer: stored, or counted as not stored.</summary>
        private void Settle(long count)
        {
            if (count == 0 || Volatile.Read(ref _closed) == 1) return;
            Interlocked.Add(ref _held, -count);
            Interlocked.Add(ref _buffered, -count);
        }
    }
}
