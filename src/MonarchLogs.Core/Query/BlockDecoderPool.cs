using System;
using System.Collections.Concurrent;
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
        private bool _disposed;

        public BlockDecoder Rent() => _decoders.TryTake(out var decoder) ? decoder : new BlockDecoder();

        public void Return(BlockDecoder decoder)
        {
            if (_disposed) decoder.Dispose();
            else _decoders.Add(decoder);
        }

        public void Dispose()
        {
            _disposed = true;
            while (_decoders.TryTake(out var decoder)) decoder.Dispose();
        }
    }
}
