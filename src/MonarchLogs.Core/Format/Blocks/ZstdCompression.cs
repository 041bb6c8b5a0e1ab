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
        private byte[] _frame = Array.Empty<byte>();
        private byte[] _content = Array.Empty<byte>();

        /// <summary>The largest content whose buffer an instance keeps for the next block.</summary>
        private const int KeptContentBytes = 4 * 1024 * 1024;

        public byte[] Compress(ReadOnlySpan<byte> content, int level)
        {
            if (_compressor is null || _compressor.Level != level)
            {
                _compressor?.Dispose();
                _compressor = new Compressor(level);
            }

            // Into this instance's buffer, then only the frame copied out: a frame is a fraction of
            // its content, and a buffer of the content's size per block (on the large object heap
            // for a full block) was most of what a writer allocated.
            var bound = Compressor.GetCompressBound(content.Length);
            if (_frame.Length < bound) _frame = new byte[bound];
            var written = _compressor.Wrap(content, _frame);
            return new ReadOnlySpan<byte>(_frame, 0, written).ToArray();
        }

        /// <summary>The content size a frame's header records; null when it records none or does not read.</summary>
        public static long? ContentSize(ReadOnlySpan<byte> frame)
        {
            try
            {
                var size = Decompressor.GetDecompressedSize(frame);
                return size <= MaxContentBytes ? (long)size : null;
            }
            catch (ZstdException)
            {
                return null;
            }
        }

        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>: not one whole zstd frame, no or a too large content size, or a corrupt frame.</exception>
        /// <returns>The content, in a buffer of this instance's that the next call reuses.</returns>
        public ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> frame)
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
            // One buffer per instance for the usual block (up to a few MiB); a larger one is its own.
            var content = size <= KeptContentBytes ? (_content.Length >= (int)size ? _content : _content = new byte[Math.Max((int)size, Math.Min(2 * _content.Length, KeptContentBytes))]) : new byte[size];
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
            return new ReadOnlySpan<byte>(content, 0, written);
        }

        public void Dispose()
        {
            _compressor?.Dispose();
            _decompressor?.Dispose();
        }
    }
}
