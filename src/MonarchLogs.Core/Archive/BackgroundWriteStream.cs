using System;
using System.Buffers;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Hands what is written to another stream on another thread, in order, in chunks: the
    /// caller goes on making lines while the compressor works (an archive's gzip costs about as
    /// much as the rest of an export). At most <see cref="MaxChunksInFlight"/> chunks wait, so
    /// memory stays flat. A failure of the inner stream is thrown by the next write, flush or
    /// dispose; disposing waits for everything written and disposes the inner stream.
    /// </summary>
    internal sealed class BackgroundWriteStream : WriteOnlyStream
    {
        private const int ChunkBytes = 1 << 18;
        private const int MaxChunksInFlight = 4;

        private readonly Stream _inner;
        private readonly SemaphoreSlim _slots = new SemaphoreSlim(MaxChunksInFlight, MaxChunksInFlight);
        private byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        private int _length;
        private Task _tail = Task.CompletedTask;
        private ExceptionDispatchInfo? _failure;
        private bool _disposed;

        public BackgroundWriteStream(Stream inner) => _inner = inner;

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(BackgroundWriteStream));
            _failure?.Throw();
            while (count > 0)
            {
                var take = Math.Min(count, _chunk.Length - _length);
                Buffer.BlockCopy(buffer, offset, _chunk, _length, take);
                _length += take;
                offset += take;
                count -= take;
                if (_length == _chunk.Length) Send();
            }
        }

        /// <summary>Waits until the inner stream has everything written so far, and flushes it.</summary>
        public override void Flush()
        {
            Send();
            _tail.Wait();
            _failure?.Throw();
            _inner.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                try
                {
                    Send();
                    _tail.Wait();
                    _failure?.Throw();
                }
                finally
                {
                    _disposed = true;
                    ArrayPool<byte>.Shared.Return(_chunk);
                    _inner.Dispose();
                    _slots.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        /// <summary>
        /// Runs <paramref name="write"/> on the inner stream on the other thread, after everything
        /// written before (it counts as a chunk in flight); its failure is thrown as a write's is.
        /// </summary>
        public void Post(Action<Stream> write)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(BackgroundWriteStream));
            _failure?.Throw();
            Send();
            Enqueue(write, null);
        }

        /// <summary>Queues the current chunk behind the ones before it, waiting for a slot when too many wait.</summary>
        private void Send()
        {
            if (_length == 0) return;
            var (chunk, length) = (_chunk, _length);
            _chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            _length = 0;
            Enqueue(inner => inner.Write(chunk, 0, length), chunk);
        }

        /// <summary>Queues <paramref name="write"/> behind what is queued, waiting for a slot when too many wait; returns <paramref name="chunk"/> to the pool after it.</summary>
        private void Enqueue(Action<Stream> write, byte[]? chunk)
        {
            _slots.Wait();
            _tail = _tail.ContinueWith(
                _ =>
                {
                    try
                    {
                        if (_failure is null) write(_inner);
                    }
                    catch (Exception ex)
                    {
                        _failure = ExceptionDispatchInfo.Capture(ex);
                    }
                    finally
                    {
                        if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk);
                        _slots.Release();
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
    }
}
