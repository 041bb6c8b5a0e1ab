using System;
using System.Collections.Concurrent;
using System.Threading;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Decoders (each with its zstd context and buffer) for blocks decoded ahead on other threads
    /// (<see cref="LinesAhead"/>): a decoder is used by one thread at a time and kept for the next
    /// block. Disposing the pool disposes the decoders it holds.
    /// </summary>
    internal sealed class BlockDecoderPool : IDisposable
    {
        private readonly ConcurrentBag<BlockDecoder> _decoders = new ConcurrentBag<BlockDecoder>();
        private int _disposed;

        public BlockDecoder Rent() => _decoders.TryTake(out var decoder) ? decoder : new BlockDecoder();

        public void Return(BlockDecoder decoder)
        {
            _decoders.Add(decoder);
            // A decoder that comes back after the pool was disposed (a block decoded ahead of a read
            // that ended meanwhile) is disposed here; either this or Dispose takes it, never both.
            if (Volatile.Read(ref _disposed) == 1) DisposeHeld();
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, 1);
            DisposeHeld();
        }

        private void DisposeHeld()
        {
            while (_decoders.TryTake(out var decoder)) decoder.Dispose();
        }
    }
}
