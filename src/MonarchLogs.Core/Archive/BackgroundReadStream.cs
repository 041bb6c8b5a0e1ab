using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Reads another stream ahead on a thread of its own, in chunks, and gives out its bytes in
    /// order: an import's gunzip runs while its lines are parsed. At most
    /// <see cref="MaxChunksAhead"/> chunks wait, so memory stays flat. A failure of the inner
    /// stream is thrown by the read that reaches it, after every byte read before it. Disposing
    /// stops the reading and waits for it (the inner stream is the caller's, and is not disposed).
    /// </summary>
    internal sealed class BackgroundReadStream : Stream
    {
        private const int ChunkBytes = 1 << 18;
        private const int MaxChunksAhead = 4;

        private readonly Stream _inner;
        private readonly BlockingCollection<Chunk> _chunks = new BlockingCollection<Chunk>(MaxChunksAhead);
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Task _reading;
        private Chunk? _current;
        private int _position;
        private bool _ended;

        public BackgroundReadStream(Stream inner)
        {
            _inner = inner;
            _reading = Task.Factory.StartNew(ReadAhead, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (!_ended && count > 0)
            {
                if (_current is { } chunk && _position < chunk.Length)
                {
                    var take = Math.Min(count, chunk.Length - _position);
                    Buffer.BlockCopy(chunk.Bytes!, _position, buffer, offset, take);
                    _position += take;
                    return take;
                }

                if (_current?.Bytes is { } consumed) ArrayPool<byte>.Shared.Return(consumed);
                _current = _chunks.Take();
                _position = 0;
                if (_current.Failure is { } failure)
                {
                    _ended = true;
                    failure.Throw();
                }

                _ended = _current.Length == 0;
            }

            return 0;
        }

        private void ReadAhead()
        {
            try
            {
                while (true)
                {
                    var bytes = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                    var length = 0;
                    ExceptionDispatchInfo? failure = null;
                    try
                    {
                        int read;
                        do
                        {
                            read = _inner.Read(bytes, length, ChunkBytes - length);
                            length += read;
                        }
                        while (read > 0 && length < ChunkBytes);
                    }
                    catch (Exception ex)
                    {
                        failure = ExceptionDispatchInfo.Capture(ex);
                    }

                    // The bytes read before a failure come first.
                    if (length > 0 || failure is null) _chunks.Add(new Chunk(bytes, length, null), _stop.Token);
                    else ArrayPool<byte>.Shared.Return(bytes);
                    if (failure is not null) _chunks.Add(new Chunk(null, 0, failure), _stop.Token);
                    if (length == 0 || failure is not null) return;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed: nobody reads on.
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_stop.IsCancellationRequested)
            {
                _stop.Cancel();
                try
                {
                    _reading.GetAwaiter().GetResult();
                }
                finally
                {
                    if (_current?.Bytes is { } consumed) ArrayPool<byte>.Shared.Return(consumed);
                    _current = null;
                    while (_chunks.TryTake(out var left)) if (left.Bytes is { } bytes) ArrayPool<byte>.Shared.Return(bytes);
                    _stop.Dispose();
                    _chunks.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private sealed class Chunk
        {
            public Chunk(byte[]? bytes, int length, ExceptionDispatchInfo? failure)
            {
                Bytes = bytes;
                Length = length;
                Failure = failure;
            }

            public byte[]? Bytes { get; }

            public int Length { get; }

            public ExceptionDispatchInfo? Failure { get; }
        }
    }
}
