using System;
using System.Text;
using System.Text.Json;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Builds a token as its UTF-8 bytes in a buffer of its own and hashes them (XXH64, as
    /// <see cref="BloomFilter.HashOf"/> hashes a token string), so that the encoder gathers a
    /// block's tokens without making a string of each. ASCII text is upper-cased byte by byte; other
    /// text goes through the chars (<see cref="BlockTokens.Upper(char)"/>) and is encoded as
    /// <see cref="Encoding.UTF8"/> encodes a token string (a lone surrogate as U+FFFD). Each piece
    /// appended ends before an ASCII char of the token (a prefix's colon, a dot, an equals sign),
    /// so no surrogate pair is split between two pieces. One instance per thread.
    /// </summary>
    internal sealed class TokenHasher
    {
        private byte[] _bytes = new byte[1024];
        private char[] _chars = new char[256];
        private byte[] _text = new byte[1024];
        private int _length;

        /// <summary>The token so far, for tests and messages.</summary>
        public override string ToString() => Encoding.UTF8.GetString(_bytes, 0, _length);

        /// <summary>The token's length so far, in bytes; set it lower to cut the token back.</summary>
        public int Length
        {
            get => _length;
            set => _length = value;
        }

        /// <summary>Starts a token with an ASCII prefix.</summary>
        public TokenHasher Start(string prefix)
        {
            _length = 0;
            return Append(prefix.AsSpan());
        }

        /// <summary>Appends the text as it is.</summary>
        public TokenHasher Append(ReadOnlySpan<char> text)
        {
            var room = Room(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c >= 0x80) return AppendEncoded(text);
                room[i] = (byte)c;
            }

            _length += text.Length;
            return this;
        }

        /// <summary>Appends an ASCII char.</summary>
        public TokenHasher Append(char c)
        {
            Room(1)[0] = (byte)c;
            _length++;
            return this;
        }

        /// <summary>Appends the text upper-cased char by char (<see cref="BlockTokens.Upper(char)"/>).</summary>
        public TokenHasher AppendUpper(ReadOnlySpan<char> text)
        {
            var room = Room(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c >= 0x80) return AppendUpperEncoded(text);
                room[i] = (byte)(c >= 'a' && c <= 'z' ? c - 32 : c);
            }

            _length += text.Length;
            return this;
        }

        /// <summary>
        /// Appends ASCII bytes upper-cased (<paramref name="ascii"/> holds no byte of 0x80 or more:
        /// see <see cref="IsAscii"/>).
        /// </summary>
        public TokenHasher AppendUpperAscii(ReadOnlySpan<byte> ascii)
        {
            var room = Room(ascii.Length);
#if NET8_0_OR_GREATER
            // Vectorized; the same mapping (a to z only) for ASCII.
            Ascii.ToUpper(ascii, room, out _);
#else
            for (var i = 0; i < ascii.Length; i++)
            {
                var b = ascii[i];
                room[i] = (byte)(b >= 'a' && b <= 'z' ? b - 32 : b);
            }
#endif

            _length += ascii.Length;
            return this;
        }

        /// <summary>
        /// Appends the JSON string the reader is on, unescaped and upper-cased, when it is at most
        /// <paramref name="maxChars"/> UTF-16 chars long; its length in chars (appending nothing
        /// when it is longer). Throws <see cref="InvalidOperationException"/> for text that is not
        /// valid UTF-8, as the reader's own string getters do.
        /// </summary>
        public int AppendUpperString(ref Utf8JsonReader reader, int maxChars)
        {
            var raw = reader.ValueSpan;
            if (!reader.ValueIsEscaped && IsAscii(raw))
            {
                if (raw.Length <= maxChars) AppendUpperAscii(raw);
                return raw.Length;
            }

            var chars = Chars(raw.Length);
            var length = reader.CopyString(chars);
            if (length <= maxChars) AppendUpper(chars.Slice(0, length));
            return length;
        }

        /// <summary>Whether every byte is ASCII (below 0x80).</summary>
        public static bool IsAscii(ReadOnlySpan<byte> bytes)
        {
            var i = 0;
            for (; i + 8 <= bytes.Length; i += 8)
            {
                if ((System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(i)) & 0x8080808080808080UL) != 0) return false;
            }

            for (; i < bytes.Length; i++)
            {
                if (bytes[i] >= 0x80) return false;
            }

            return true;
        }

        /// <summary>The token's bytes from <paramref name="start"/> to its end.</summary>
        public ReadOnlySpan<byte> Since(int start) => new ReadOnlySpan<byte>(_bytes, start, _length - start);

        /// <summary>Room for <paramref name="count"/> more bytes, as a span to write them into.</summary>
        public Span<byte> Room(int count)
        {
            if (_length + count > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + count));
            return new Span<byte>(_bytes, _length, count);
        }

        /// <summary>A scratch buffer of <paramref name="count"/> chars that the next call may reuse.</summary>
        public Span<char> Chars(int count)
        {
            if (count > _chars.Length) _chars = new char[Math.Max(_chars.Length * 2, count)];
            return new Span<char>(_chars, 0, count);
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
                room[i] = (byte)('0' + (int)(magnitude % 10));
                magnitude /= 10;
            }

            _length += digits;
            return this;
        }

        private TokenHasher AppendUpperEncoded(ReadOnlySpan<char> text)
        {
            // Not into the scratch buffer when the text is in it already (a JSON string read into it).
            Span<char> upper = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
            for (var i = 0; i < text.Length; i++) upper[i] = BlockTokens.Upper(text[i]);
            return AppendEncoded(upper);
        }

        private TokenHasher AppendEncoded(ReadOnlySpan<char> text)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
            Room(needed);
#if NETSTANDARD2_0
            _length += Encoding.UTF8.GetBytes(text.ToArray(), 0, text.Length, _bytes, _length);
#else
            _length += Encoding.UTF8.GetBytes(text, new Span<byte>(_bytes, _length, needed));
#endif
            return this;
        }

        /// <summary>The UTF-8 bytes of <paramref name="text"/>, in a buffer of this hasher's that the next call reuses.</summary>
        public ReadOnlySpan<byte> Utf8Of(string text)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (needed > _text.Length) _text = new byte[Math.Max(_text.Length * 2, needed)];
            var length = Encoding.UTF8.GetBytes(text, 0, text.Length, _text, 0);
            return new ReadOnlySpan<byte>(_text, 0, length);
        }

        public ulong Hash() => XxHash64.Hash(new ReadOnlySpan<byte>(_bytes, 0, _length));
    }
}
