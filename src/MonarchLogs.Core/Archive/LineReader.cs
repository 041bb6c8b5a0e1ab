using System;
using System.IO;
using System.Runtime.CompilerServices;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Reads a stream line by line as UTF-8 bytes ('\n' ends a line, a '\r' before it is dropped,
    /// a UTF-8 byte order mark at the start is skipped). Memory stays at the longest line read, and
    /// a line longer than the limit is skipped to its end and reported, never held whole.
    /// </summary>
    internal sealed class LineReader
    {
        private readonly Stream _stream;
        private readonly int _maxLineBytes;
        private byte[] _buffer = new byte[1 << 16];
        private int _start;
        private int _end;
        private bool _endOfStream;
        private bool _atStart = true;

        public LineReader(Stream stream, int maxLineBytes)
        {
            _stream = stream;
            _maxLineBytes = maxLineBytes;
        }

        /// <summary>The number of the line last returned, from 1.</summary>
        public long LineNumber { get; private set; }

        /// <summary>Bytes read from the stream so far (decompressed bytes for a gzip file).</summary>
        public long BytesRead { get; private set; }

        /// <summary>
        /// The next line, valid until the next call; false at the end. <paramref name="tooLong"/>
        /// says the line was longer than the limit: it was skipped and <paramref name="line"/> is empty.
        /// </summary>
        [MethodImpl(HotPath.Options)]
        public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool tooLong)
        {
            tooLong = false;
            var searchFrom = _start;
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', searchFrom, _end - searchFrom);
                if (newline >= 0)
                {
                    LineNumber++;
                    if (tooLong)
                    {
                        line = ReadOnlyMemory<byte>.Empty;
                    }
                    else
                    {
                        var length = newline - _start;
                        if (length > 0 && _buffer[newline - 1] == (byte)'\r') length--;
                        line = new ReadOnlyMemory<byte>(_buffer, _start, length);
                    }

                    _start = newline + 1;
                    return true;
                }

                if (_endOfStream)
                {
                    if (_start == _end && !tooLong)
                    {
                        line = ReadOnlyMemory<byte>.Empty;
                        return false;
                    }

                    // The last line has no '\n'.
                    LineNumber++;
                    line = tooLong ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
                    _start = _end;
                    return true;
                }

                if (_end - _start > _maxLineBytes)
                {
                    // Too long: dropped as it is read, up to its end.
                    tooLong = true;
                    _start = _end;
                }

                searchFrom = Fill();
            }
        }

        /// <summary>Reads more; returns where the search for '\n' goes on.</summary>
        private int Fill()
        {
            var pending = _end - _start;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
                _start = 0;
                _end = pending;
            }

            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfStream = true;
                return _end;
            }

            BytesRead += read;
            var searchFrom = _end;
            _end += read;
            if (_atStart && _end >= 3)
            {
                _atStart = false;
                if (_buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
                {
                    _start = 3;
                    searchFrom = Math.Max(searchFrom, 3);
                }
            }

            return searchFrom;
        }
    }
}
