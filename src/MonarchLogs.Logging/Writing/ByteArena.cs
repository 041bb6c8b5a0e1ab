using System;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Copies of small byte runs, cut from shared chunks: an entry's properties cost their bytes
    /// alone, not an array or a string each. A chunk lives as long as any copy cut from it, so
    /// it goes with the batches that hold them; chunks stay below the large-object heap's
    /// threshold, and a run larger than a quarter of one gets an array of its own. One thread.
    /// </summary>
    internal sealed class ByteArena
    {
        private const int ChunkSize = 64 * 1024;

        private byte[] _chunk = Array.Empty<byte>();
        private int _used;

        /// <summary>A copy of <paramref name="bytes"/>, which stays as it is for as long as it is held.</summary>
        public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > ChunkSize / 4) return bytes.ToArray();
            if (_chunk.Length - _used < bytes.Length)
            {
#if NET5_0_OR_GREATER
                // Every byte of a chunk is written before it is read: no need to clear it first.
                _chunk = GC.AllocateUninitializedArray<byte>(ChunkSize);
#else
                _chunk = new byte[ChunkSize];
#endif
                _used = 0;
            }

            bytes.CopyTo(new Span<byte>(_chunk, _used, bytes.Length));
            var copy = new ReadOnlyMemory<byte>(_chunk, _used, bytes.Length);
            _used += bytes.Length;
            return copy;
        }
    }
}
