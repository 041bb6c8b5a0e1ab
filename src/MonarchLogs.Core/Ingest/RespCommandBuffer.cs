using System;
using System.Text;

namespace MonarchLogs.Core.Ingest
{
    /// <summary>
    /// Commands encoded in RESP2 into one growing byte buffer, sent with one write. Strings go
    /// straight from UTF-16 to UTF-8 in the buffer: no per-argument object, no per-command task.
    /// </summary>
    internal sealed class RespCommandBuffer
    {
        private const int ShrinkAbove = 16 * 1024 * 1024;
        private static readonly byte[] EmptyBulk = { (byte)'$', (byte)'0', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' };
        private byte[] _buffer;
        private int _length;

        public RespCommandBuffer(int capacity = 64 * 1024) => _buffer = new byte[capacity];

        public byte[] Buffer => _buffer;

        public int Length => _length;

        /// <summary>Empties the buffer; one grown far past the usual batch is let go.</summary>
        public void Clear()
        {
            _length = 0;
            if (_buffer.Length > ShrinkAbove) _buffer = new byte[64 * 1024];
        }

        /// <summary>Starts a command of <paramref name="arguments"/> arguments, its name included.</summary>
        public void BeginCommand(int arguments)
        {
            Ensure(16);
            _buffer[_length++] = (byte)'*';
            WriteDigits(arguments);
            WriteCrLf();
        }

        public void WriteBulk(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                WriteRaw(EmptyBulk);
                return;
            }

#if NET8_0_OR_GREATER
            // Most log text is ASCII: one pass that copies and checks at once, its length known.
            Ensure(value!.Length + 16);
            var start = _length;
            WriteBulkHeader(value.Length);
            if (System.Text.Ascii.FromUtf16(value, _buffer.AsSpan(_length, value.Length), out _) == System.Buffers.OperationStatus.Done)
            {
                _length += value.Length;
                WriteCrLf();
                return;
            }

            _length = start;
#endif
            var bytes = Encoding.UTF8.GetByteCount(value);
            Ensure(bytes + 16);
            WriteBulkHeader(bytes);
            _length += Encoding.UTF8.GetBytes(value, 0, value!.Length, _buffer, _length);
            WriteCrLf();
        }

        public void WriteBulk(long value)
        {
            Ensure(48);
            WriteBulkHeader(CountDigits(value));
            WriteDigits(value);
            WriteCrLf();
        }

        /// <summary>Writes the stream ID <c>&lt;milliseconds&gt;-*</c>: that time, the sequence chosen by the server.</summary>
        public void WriteBulkAutoSequenceId(long milliseconds)
        {
            Ensure(48);
            WriteBulkHeader(CountDigits(milliseconds) + 2);
            WriteDigits(milliseconds);
            _buffer[_length++] = (byte)'-';
            _buffer[_length++] = (byte)'*';
            WriteCrLf();
        }

        /// <summary>Writes bytes already encoded as a whole RESP bulk string (see <see cref="EncodeBulk"/>).</summary>
        public void WriteRaw(byte[] encoded)
        {
            Ensure(encoded.Length);
            System.Buffer.BlockCopy(encoded, 0, _buffer, _length, encoded.Length);
            _length += encoded.Length;
        }

        /// <summary>Writes a UTC time as its round-trip text ("O"), 28 characters, without a string in between.</summary>
        public void WriteBulkRoundTrip(DateTime utc)
        {
#if NET8_0_OR_GREATER
            Ensure(64);
            var start = _length;
            WriteBulkHeader(28);
            if (utc.TryFormat(_buffer.AsSpan(_length), out var written, "O", System.Globalization.CultureInfo.InvariantCulture) && written == 28)
            {
                _length += written;
                WriteCrLf();
                return;
            }

            _length = start;
#endif
            WriteBulk(utc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }

        /// <summary>A constant argument encoded once as a RESP bulk string.</summary>
        public static byte[] EncodeBulk(string value)
        {
            var buffer = new RespCommandBuffer(Encoding.UTF8.GetByteCount(value) + 16);
            buffer.WriteBulk(value);
            var encoded = new byte[buffer.Length];
            System.Buffer.BlockCopy(buffer.Buffer, 0, encoded, 0, buffer.Length);
            return encoded;
        }

        private void WriteBulkHeader(int bytes)
        {
            _buffer[_length++] = (byte)'$';
            WriteDigits(bytes);
            WriteCrLf();
        }

        private void WriteCrLf()
        {
            _buffer[_length++] = (byte)'\r';
            _buffer[_length++] = (byte)'\n';
        }

        private void WriteDigits(long value)
        {
            if ((ulong)value < 10)
            {
                _buffer[_length++] = (byte)('0' + value);
                return;
            }

            if ((ulong)value < 100)
            {
                _buffer[_length++] = (byte)('0' + value / 10);
                _buffer[_length++] = (byte)('0' + value % 10);
                return;
            }

            if (value < 0)
            {
                _buffer[_length++] = (byte)'-';
                if (value == long.MinValue)
                {
                    // Not negatable; never written by this code, handled for completeness.
                    var text = Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture).Substring(1));
                    System.Buffer.BlockCopy(text, 0, _buffer, _length, text.Length);
                    _length += text.Length;
                    return;
                }

                value = -value;
            }

            var digits = CountDigits(value);
            var end = _length + digits;
            for (var i = end - 1; i >= _length; i--)
            {
                _buffer[i] = (byte)('0' + (int)(value % 10));
                value /= 10;
            }

            _length = end;
        }

        private static int CountDigits(long value)
        {
            if ((ulong)value < 10) return 1;
            if ((ulong)value < 100) return 2;
            if ((ulong)value < 1000) return 3;
            if (value < 0) return value == long.MinValue ? 20 : 1 + CountDigits(-value);
            var digits = 1;
            while (value >= 10)
            {
                value /= 10;
                digits++;
            }

            return digits;
        }

        private void Ensure(int more)
        {
            if (_length + more <= _buffer.Length) return;
            var grown = new byte[Math.Max(_buffer.Length * 2, _length + more)];
            System.Buffer.BlockCopy(_buffer, 0, grown, 0, _length);
            _buffer = grown;
        }
    }
}
