using System;
using System.Text;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Builds a token in a buffer of its own and hashes it (XXH64 of its UTF-8 bytes, as
    /// <see cref="BloomFilter.HashOf"/> hashes a token string), so that the encoder gathers a
    /// block's tokens without making a string of each. One instance per thread.
    /// </summary>
    internal sealed class TokenHasher
    {
        private char[] _chars = new char[256];
        private byte[] _bytes = new byte[1024];
        private byte[] _text = new byte[1024];
        private int _length;

        /// <summary>The token so far, for tests and messages.</summary>
        public override string ToString() => new string(_chars, 0, _length);

        public int Length
        {
            get => _length;
            set => _length = value;
        }

        public TokenHasher Start(string prefix)
        {
            _length = 0;
            return Append(prefix.AsSpan());
        }

        public TokenHasher Append(ReadOnlySpan<char> text)
        {
            text.CopyTo(Room(text.Length));
            _length += text.Length;
            return this;
        }

        public TokenHasher Append(char c)
        {
            Room(1)[0] = c;
            _length++;
            return this;
        }

        /// <summary>Appends the text upper-cased char by char (<see cref="BlockTokens.Upper(char)"/>).</summary>
        public TokenHasher AppendUpper(ReadOnlySpan<char> text)
        {
            var room = Room(text.Length);
            for (var i = 0; i < text.Length; i++) room[i] = BlockTokens.Upper(text[i]);
            _length += text.Length;
            return this;
        }

        /// <summary>Room for <paramref name="count"/> more chars, as a span to write them into.</summary>
        public Span<char> Room(int count)
        {
            if (_length + count > _chars.Length) Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + count));
            return new Span<char>(_chars, _length, count);
        }

        /// <summary>Appends a number in invariant decimal digits.</summary>
        public TokenHasher Append(int number)
        {
            if (number < 0)
            {
                Append('-');
                // Digits of the magnitude, taken as a long so that int.MinValue has one.
                return AppendDigits(-(long)number);
            }

            return AppendDigits(number);
        }

        private TokenHasher AppendDigits(long magnitude)
        {
            var digits = 1;
            for (var rest = magnitude / 10; rest > 0; rest /= 10) digits++;
            var room = Room(digits);
            for (var i = digits - 1; i >= 0; i--)
            {
                room[i] = (char)('0' + (int)(magnitude % 10));
                magnitude /= 10;
            }

            _length += digits;
            return this;
        }

        /// <summary>The UTF-8 bytes of <paramref name="text"/>, in a buffer of this hasher's that the next call reuses.</summary>
        public ReadOnlySpan<byte> Utf8(string text)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (needed > _text.Length) _text = new byte[Math.Max(_text.Length * 2, needed)];
            var length = Encoding.UTF8.GetBytes(text, 0, text.Length, _text, 0);
            return new ReadOnlySpan<byte>(_text, 0, length);
        }

        public ulong Hash()
        {
            var needed = Encoding.UTF8.GetMaxByteCount(_length);
            if (needed > _bytes.Length) _bytes = new byte[Math.Max(_bytes.Length * 2, needed)];
            var length = Encoding.UTF8.GetBytes(_chars, 0, _length, _bytes, 0);
            return XxHash64.Hash(new ReadOnlySpan<byte>(_bytes, 0, length));
        }
    }
}
