using System;
using System.Runtime.CompilerServices;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The <c>prop:</c> tokens of a properties object that <see cref="WriterLine"/> took (printable
    /// ASCII, strings without escapes, spaces its only white space, nested at most as deep as it
    /// takes), found in one pass over its bytes without a JSON reader: the same tokens, in the same
    /// order, as <see cref="PropertyWalk"/> finds with one. Any other text is not for it.
    /// </summary>
    internal readonly ref struct AsciiPropertyWalk
    {
        private readonly PropertyWalk _walk;
        private readonly ReadOnlySpan<byte> _text;

        private AsciiPropertyWalk(PropertyWalk walk, ReadOnlySpan<byte> text)
        {
            _walk = walk;
            _text = text;
        }

        /// <summary>Adds the tokens of <paramref name="utf8Object"/>, an object <see cref="WriterLine.TryRead"/> took, to <paramref name="hashes"/>.</summary>
        [MethodImpl(HotPath.Options)]
        public static void Collect(ReadOnlySpan<byte> utf8Object, TokenHasher hasher, TokenSet hashes)
        {
            var walk = new AsciiPropertyWalk(new PropertyWalk(hasher, hashes), utf8Object);
            hasher.Start(BlockTokens.PropertyPrefix);
            walk.Object(0, 0);
        }

        private TokenHasher Hasher => _walk.Hasher;

        /// <summary>The members of the object at <paramref name="position"/>; the position after it.</summary>
        [MethodImpl(HotPath.Options)]
        private int Object(int position, int depth)
        {
            var path = Hasher.Length;
            position = Spaces(position + 1);
            if (_text[position] == (byte)'}') return position + 1;
            while (true)
            {
                Hasher.Length = path;
                if (path > BlockTokens.PropertyPrefix.Length) Hasher.Append('.');
                var end = StringEnd(position);
                Hasher.AppendUpperAscii(_text.Slice(position + 1, end - position - 2));
                position = Spaces(Spaces(end) + 1);
                position = Spaces(Value(position, depth, inArray: false));
                if (_text[position] == (byte)'}') break;
                position = Spaces(position + 1);
            }

            Hasher.Length = path;
            return position + 1;
        }

        /// <summary>The value at <paramref name="position"/>: its tokens under the name in the buffer; the position after it.</summary>
        [MethodImpl(HotPath.Options)]
        private int Value(int position, int depth, bool inArray)
        {
            var name = Hasher.Length;
            int end;
            switch (_text[position])
            {
                case (byte)'{' when depth < BlockTokens.MaxDepth && !inArray:
                    end = Object(position, depth + 1);
                    break;
                case (byte)'[' when !inArray:
                    // A filter matches an array by one of its items; arrays inside arrays never match.
                    end = Spaces(position + 1);
                    if (_text[end] == (byte)']') return end + 1;
                    while (true)
                    {
                        end = Spaces(Value(end, depth, inArray: true));
                        if (_text[end] == (byte)']') break;
                        end = Spaces(end + 1);
                    }

                    end++;
                    break;
                case (byte)'{':
                case (byte)'[':
                    end = Skip(position);
                    break;
                case (byte)'"':
                    end = StringEnd(position);
                    _walk.AsciiText(name, _text.Slice(position + 1, end - position - 2));
                    break;
                case (byte)'t':
                    _walk.Boolean(name, true);
                    end = position + 4;
                    break;
                case (byte)'f':
                    _walk.Boolean(name, false);
                    end = position + 5;
                    break;
                case (byte)'n':
                    end = position + 4;
                    break;
                default:
                    end = position + 1;
                    while (end < _text.Length && IsNumberByte(_text[end])) end++;
                    _walk.Number(name, _text.Slice(position, end - position));
                    break;
            }

            Hasher.Length = name;
            return end;
        }

        /// <summary>An object or array not walked, from its opening bracket: the position after it (its strings hold no quote).</summary>
        private int Skip(int position)
        {
            var depth = 0;
            for (var i = position; ; i++)
            {
                switch (_text[i])
                {
                    case (byte)'"':
                        i = StringEnd(i) - 1;
                        break;
                    case (byte)'{':
                    case (byte)'[':
                        depth++;
                        break;
                    case (byte)'}':
                    case (byte)']':
                        if (--depth == 0) return i + 1;
                        break;
                }
            }
        }

        /// <summary>The position after the string that opens at <paramref name="position"/> (it holds no escape).</summary>
        private int StringEnd(int position) => position + 2 + _text.Slice(position + 1).IndexOf((byte)'"');

        private int Spaces(int position)
        {
            while (_text[position] == (byte)' ') position++;
            return position;
        }

        private static bool IsNumberByte(byte b) => (b >= (byte)'0' && b <= (byte)'9') || b == (byte)'.' || b == (byte)'-' || b == (byte)'+' || b == (byte)'e' || b == (byte)'E';
    }
}
