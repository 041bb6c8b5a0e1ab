using System;
using System.Security.Cryptography;
using System.Text;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// What makes two entries of one partition the same entry for an import: the event time to the
    /// 100 ns tick and every field but the Id, as a 128-bit SHA-256 prefix (so that a batch of huge
    /// entries costs 16 bytes each to remember).
    /// </summary>
    internal readonly struct EntryFingerprint : IEquatable<EntryFingerprint>
    {
        private readonly ulong _high;
        private readonly ulong _low;

        private EntryFingerprint(ulong high, ulong low)
        {
            _high = high;
            _low = low;
        }

        public bool Equals(EntryFingerprint other) => _high == other._high && _low == other._low;

        public override bool Equals(object? obj) => obj is EntryFingerprint other && Equals(other);

        public override int GetHashCode() => unchecked((int)_low ^ (int)(_low >> 32));

        /// <summary>Makes fingerprints, reusing one buffer and one hash object (one thread at a time).</summary>
        public sealed class Maker : IDisposable
        {
            private readonly SHA256 _sha = SHA256.Create();
            private byte[] _buffer = new byte[4096];
            private int _length;

            public EntryFingerprint Of(MonarchLogEntry entry)
            {
                _length = 0;
                var ticks = (entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime()).Ticks;
                AddNumber(ticks);
                AddNumber(entry.EventId);
                AddText(entry.Category);
                AddText(entry.Message);
                AddText(entry.Template);
                AddText(entry.EventName);
                AddText(entry.ExceptionType);
                AddText(entry.ExceptionMessage);
                AddText(entry.Exception);
                AddText(entry.TraceId);
                AddText(entry.SpanId);
                AddText(entry.Host);
                AddText(entry.Properties);
                var hash = _sha.ComputeHash(_buffer, 0, _length);
                return new EntryFingerprint(BitConverter.ToUInt64(hash, 0), BitConverter.ToUInt64(hash, 8));
            }

            private void AddNumber(long value)
            {
                Ensure(8);
                for (var i = 0; i < 8; i++) _buffer[_length++] = (byte)(value >> (8 * i));
            }

            // Each text is preceded by its length, so that no two different entries give the same bytes.
            private void AddText(string text)
            {
                var max = Encoding.UTF8.GetMaxByteCount(text.Length);
                Ensure(8 + max);
                var length = Encoding.UTF8.GetBytes(text, 0, text.Length, _buffer, _length + 8);
                AddNumber(length);
                _length += length;
            }

            private void Ensure(int more)
            {
                if (_length + more <= _buffer.Length) return;
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
            }

            public void Dispose() => _sha.Dispose();
        }
    }
}
