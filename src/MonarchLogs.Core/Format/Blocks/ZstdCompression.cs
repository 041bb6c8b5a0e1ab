using System;
using ZstdSharp;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The <c>zstd</c> codec: the payload in one zstd frame that records its content size
    /// (ZstdSharp.Port, a managed port of the reference library). One instance per thread.
    /// </summary>
    internal sealed class ZstdCompression : IDisposable
    {
        /// <summary>The largest payload a block may hold once decompressed; a frame that claims more is refused unread.</summary>
        public const int MaxContentBytes = 64 * 1024 * 1024;

        private Compressor? _compressor;
        private Decompressor? _decompressor;

        public byte[] Compress(ReadOnlySpan<byte> content, int level)
        {
            if (_compressor is null || _compressor.Level != level)
            {
                _compressor?.Dispose();
                _compressor = new Compressor(level);
            }

            return _compressor.Wrap(content).ToArray();
        }

        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>: not one whole zstd frame, no or a too large content size, or a corrupt frame.</exception>
        public byte[] Decompress(ReadOnlySpan<byte> frame)
        {
            ulong size;
            try
            {
                size = Decompressor.GetDecompressedSize(frame);
            }
            catch (ZstdException ex)
            {
                throw BlockErrors.Invalid("its zstd payload has no readable frame header", ex);
            }

            // The reference library reports an unknown size and an error as the two largest values.
            if (size >= ulong.MaxValue - 1) throw BlockErrors.Invalid("its zstd payload does not record its content size");
            if (size > MaxContentBytes) throw BlockErrors.Invalid($"its zstd payload claims {size} bytes, more than the {MaxContentBytes} a block may hold");
            var content = new byte[size];
            int written;
            try
            {
                _decompressor ??= new Decompressor();
                written = _decompressor.Unwrap(frame, content);
            }
            catch (ZstdException ex)
            {
                // A failed frame leaves the context in an unknown state: start again with a new one.
                _decompressor?.Dispose();
                _decompressor = null;
                throw BlockErrors.Invalid("its zstd payload is corrupt (" + ex.Message + ")", ex);
            }

            if ((ulong)written != size) throw BlockErrors.Invalid($"its zstd payload holds {written} bytes, its frame header says {size}");
            return content;
        }

        public void Dispose()
        {
            _compressor?.Dispose();
            _decompressor?.Dispose();
        }
    }
}
