using System;
using System.Security.Cryptography;
using System.Threading;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// A format 2 writer's name for its blocks: an id drawn at random when the appender is made
    /// (16 hex digits) and a sequence number per block, increasing. A block sent again after a
    /// lost reply keeps its (w, seq), so readers drop the second copy.
    /// </summary>
    internal sealed class WriterIdentity
    {
        private long _sequence;

        public WriterIdentity()
        {
            var bytes = new byte[8];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(bytes);
            Id = BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();
        }

        /// <summary>The writer id, <c>w</c> of every block this writer makes.</summary>
        public string Id { get; }

        /// <summary>The next block's <c>seq</c>: 1, 2, … (0 is what a block without one reads as).</summary>
        public long Next() => Interlocked.Increment(ref _sequence);
    }
}
