using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Ingest
{
    internal enum RespKind
    {
        SimpleString,
        Error,
        Integer,
        BulkString,
        Null,
        Array,
    }

    /// <summary>One RESP2 reply. Bulk text is decoded only when the reader is asked to keep it.</summary>
    internal readonly struct RespValue
    {
        public RespValue(RespKind kind, string? text = null, long integer = 0, RespValue[]? items = null)
        {
            Kind = kind;
            Text = text;
            Integer = integer;
            Items = items;
        }

        public RespKind Kind { get; }

        public string? Text { get; }

        public long Integer { get; }

        public RespValue[]? Items { get; }

        public bool IsError => Kind == RespKind.Error;
    }

    /// <summary>
    /// Reads RESP2 replies from a stream through one buffer: a reply is parsed only once it is
    /// whole in the buffer, so a reply split across reads is never half taken.
    /// </summary>
    internal sealed class RespReader
    {
        private readonly Stream _stream;
        private byte[] _buffer;
        private int _start;
        private int _end;

        public RespReader(Stream stream, int capacity = 64 * 1024)
        {
            _stream = stream;
            _buffer = new byte[capacity];
        }

        /// <summary>Replies read so far.</summary>
        public long RepliesRead { get; private set; }

        /// <summary>The next reply. <paramref name="keepText"/> false skips decoding bulk strings (an XADD's ID).</summary>
        public async ValueTask<RespValue> ReadAsync(bool keepText, CancellationToken cancellationToken)
        {
            while (true)
            {
                var position = _start;
                if (TryParse(ref position, keepText, out var value))
                {
                    _start = position;
                    RepliesRead++;
                    return value;
                }

                await FillAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private bool TryParse(ref int position, bool keepText, out RespValue value)
        {
            value = default;
            if (position >= _end) return false;
            var type = _buffer[position];
            var lineEnd = Array.IndexOf(_buffer, (byte)'\n', position + 1, _end - position - 1);
            if (lineEnd < 0) return false;
            if (_buffer[lineEnd - 1] != (byte)'\r') throw Protocol("a line without CR LF");
            var lineStart = position + 1;
            var lineLength = lineEnd - 1 - lineStart;
            var next = lineEnd + 1;
            switch (type)
            {
                case (byte)'+':
                    value = new RespValue(RespKind.SimpleString, Encoding.UTF8.GetString(_buffer, lineStart, lineLength));
                    break;
                case (byte)'-':
                    value = new RespValue(RespKind.Error, Encoding.UTF8.GetString(_buffer, lineStart, lineLength));
                    break;
                case (byte)':':
                    value = new RespValue(RespKind.Integer, integer: ParseInteger(lineStart, lineLength));
                    break;
                case (byte)'$':
                {
                    var length = ParseInteger(lineStart, lineLength);
                    if (length < 0)
                    {
                        value = new RespValue(RespKind.Null);
                        break;
                    }

                    if (length > int.MaxValue - 2 || next + length + 2 > _end)
                    {
                        EnsureRoom(next - _start + length + 2);
                        return false;
                    }

                    var text = keepText ? Encoding.UTF8.GetString(_buffer, next, (int)length) : null;
                    value = new RespValue(RespKind.BulkString, text);
                    next += (int)length + 2;
                    break;
                }

                case (byte)'*':
                {
                    var count = ParseInteger(lineStart, lineLength);
                    if (count < 0)
                    {
                        value = new RespValue(RespKind.Null);
                        break;
                    }

                    var items = new RespValue[count];
                    for (var i = 0; i < items.Length; i++)
                    {
                        if (!TryParse(ref next, keepText, out items[i])) return false;
                    }

                    value = new RespValue(RespKind.Array, items: items);
                    break;
                }

                default:
                    throw Protocol("an unknown reply type '" + (char)type + "'");
            }

            position = next;
            return true;
        }

        private long ParseInteger(int start, int length)
        {
            if (length <= 0) throw Protocol("an empty number");
            var negative = _buffer[start] == (byte)'-';
            long value = 0;
            for (var i = negative ? start + 1 : start; i < start + length; i++)
            {
                var digit = _buffer[i] - (byte)'0';
                if (digit < 0 || digit > 9) throw Protocol("a malformed number");
                value = checked(value * 10 + digit);
            }

            return negative ? -value : value;
        }

        /// <summary>Makes the buffer big enough for a reply of <paramref name="bytes"/> from the current start.</summary>
        private void EnsureRoom(long bytes)
        {
            if (bytes <= _buffer.Length) return;
            if (bytes > 512L * 1024 * 1024) throw Protocol("a reply larger than 512 MB");
            var grown = new byte[Math.Max(_buffer.Length * 2, bytes)];
            System.Buffer.BlockCopy(_buffer, _start, grown, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = grown;
        }

        private async Task FillAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                if (_start > 0)
                {
                    System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    EnsureRoom(_buffer.Length * 2L);
                }
            }

            var read = await _stream.ReadAsync(_buffer, _end, _buffer.Length - _end, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException("Valkey closed the connection.");
            _end += read;
        }

        private static IOException Protocol(string what) => new IOException("Valkey sent " + what + "; the connection is dropped.");
    }
}
