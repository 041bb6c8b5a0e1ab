using System;
using System.IO;
using System.Linq;
using System.Threading;
using MonarchLogs.Core.Archive;

namespace MonarchLogs.Core.Tests
{
    /// <summary>The import's read-ahead: every byte in order, a failure after the bytes before it, and no reading after it is disposed.</summary>
    public sealed class BackgroundReadStreamTests
    {
        [Fact]
        public void Gives_every_byte_in_order_then_the_end()
        {
            var data = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7 + i / 251)).ToArray();
            using var ahead = new BackgroundReadStream(new TrickleStream(data, failAt: -1));
            var copy = new MemoryStream();
            ahead.CopyTo(copy, 10_000);
            Assert.Equal(data, copy.ToArray());
            Assert.Equal(0, ahead.Read(new byte[10], 0, 10));
        }

        [Fact]
        public void A_failure_of_the_inner_stream_comes_after_every_byte_read_before_it()
        {
            var data = Enumerable.Range(0, 700_000).Select(i => (byte)i).ToArray();
            using var ahead = new BackgroundReadStream(new TrickleStream(data, failAt: 600_001));
            var copy = new MemoryStream();
            var buffer = new byte[4096];
            var failure = Assert.Throws<InvalidDataException>(() =>
            {
                int read;
                while ((read = ahead.Read(buffer, 0, buffer.Length)) > 0) copy.Write(buffer, 0, read);
            });
            Assert.Equal("damaged at 600001", failure.Message);
            Assert.Equal(data.Take(600_001).ToArray(), copy.ToArray());
        }

        [Fact]
        public void Disposed_it_stops_reading_the_inner_stream()
        {
            var inner = new TrickleStream(new byte[100_000_000], failAt: -1);
            var ahead = new BackgroundReadStream(inner);
            Assert.Equal(10, ahead.Read(new byte[10], 0, 10));
            ahead.Dispose();
            var readSoFar = inner.Position;
            Thread.Sleep(200);
            Assert.Equal(readSoFar, inner.Position);
            Assert.True(readSoFar < 10_000_000, $"it read {readSoFar} bytes ahead");
        }

        /// <summary>Gives at most 1,000 bytes a read, and fails once the reads reach <c>failAt</c>.</summary>
        private sealed class TrickleStream : Stream
        {
            private readonly byte[] _data;
            private readonly int _failAt;
            private int _position;

            public TrickleStream(byte[] data, int failAt)
            {
                _data = data;
                _failAt = failAt;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (_failAt >= 0 && _position >= _failAt) throw new InvalidDataException($"damaged at {_failAt}");
                var end = _failAt >= 0 ? _failAt : _data.Length;
                var take = Math.Min(Math.Min(count, 1000), end - _position);
                Array.Copy(_data, _position, buffer, offset, take);
                Interlocked.Add(ref _position, take);
                return take;
            }

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => _data.Length;

            public override long Position
            {
                get => Volatile.Read(ref _position);
                set => throw new NotSupportedException();
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
