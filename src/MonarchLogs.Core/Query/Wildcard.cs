using System;
using System.Collections.Generic;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// A case-insensitive wildcard with PowerShell's <c>WildcardPattern</c> syntax, the semantics of
    /// -Service, -Category and -Message and of the web API's filters alike: <c>*</c> any run,
    /// <c>?</c> one character, <c>[abc]</c> one of a set, <c>[a-z]</c> one of a range, and a
    /// backtick that makes the next character literal (<c>`*</c>, <c>`?</c>, <c>`[</c>). The pattern
    /// matches the whole value.
    /// </summary>
    /// <remarks>
    /// Every element but <c>*</c> takes exactly one character, so matching needs to remember only
    /// the last <c>*</c>: on a mismatch it lets that star take one more character and goes on.
    /// That is at most text length × pattern length steps, however many stars the pattern has; a
    /// backtracking regular expression took exponential time on patterns like <c>*a*a*a*aX</c>.
    /// </remarks>
    public sealed class Wildcard
    {
        /// <summary>The error id of a pattern that cannot be read.</summary>
        public const string InvalidErrorId = "InvalidWildcard";

        private const char EscapeCharacter = '`';

        private readonly Element[] _elements;
        private readonly string? _literal;

        /// <exception cref="MonarchLogsException"><c>InvalidWildcard</c>: a <c>[</c> without its <c>]</c>, or a range whose ends are reversed.</exception>
        public Wildcard(string pattern)
        {
            Pattern = pattern ?? throw new ArgumentNullException(nameof(pattern));
            _elements = Parse(pattern);
            _literal = LiteralOf(_elements);
        }

        /// <summary>The pattern as given.</summary>
        public string Pattern { get; }

        /// <summary>The one text the pattern matches (ignoring case) when it has no wildcard, backticks removed; else null.</summary>
        internal string? Literal => _literal;

        /// <summary>A pattern that matches exactly <paramref name="literal"/>: a backtick before each wildcard character.</summary>
        public static string Escape(string literal)
        {
            if (literal is null) throw new ArgumentNullException(nameof(literal));
            var escaped = new System.Text.StringBuilder(literal.Length + 4);
            foreach (var c in literal)
            {
                if (c == '*' || c == '?' || c == '[' || c == ']' || c == EscapeCharacter) escaped.Append(EscapeCharacter);
                escaped.Append(c);
            }

            return escaped.ToString();
        }

        /// <summary>Whether the whole of <paramref name="value"/> matches, ignoring case; false for null.</summary>
        public bool IsMatch(string value)
        {
            if (value is null) return false;
            if (_literal is not null) return string.Equals(_literal, value, StringComparison.OrdinalIgnoreCase);

            var elements = _elements;
            int p = 0, t = 0;
            int star = -1, starText = 0;
            while (t < value.Length)
            {
                if (p < elements.Length && elements[p].Kind == ElementKind.Star)
                {
                    star = p++;
                    starText = t;
                }
                else if (p < elements.Length && elements[p].Matches(value[t]))
                {
                    p++;
                    t++;
                }
                else if (star >= 0)
                {
                    // The last star takes one more character; everything after it starts again.
                    p = star + 1;
                    t = ++starText;
                }
                else
                {
                    return false;
                }
            }

            while (p < elements.Length && elements[p].Kind == ElementKind.Star) p++;
            return p == elements.Length;
        }

        /// <summary>The pattern as given.</summary>
        public override string ToString() => Pattern;

        private static Element[] Parse(string pattern)
        {
            var elements = new List<Element>(pattern.Length);
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                switch (c)
                {
                    case '*':
                        // Consecutive stars mean one star; keeping one keeps the match loop short.
                        if (elements.Count == 0 || elements[elements.Count - 1].Kind != ElementKind.Star) elements.Add(Element.Star);
                        break;
                    case '?':
                        elements.Add(Element.AnyOne);
                        break;
                    case '[':
                        i = ParseSet(pattern, i, elements);
                        break;
                    case EscapeCharacter:
                        // A trailing backtick is itself; the pattern "`" alone is empty, as in PowerShell.
                        if (i + 1 < pattern.Length) elements.Add(Element.Literal(pattern[++i]));
                        else if (pattern.Length > 1) elements.Add(Element.Literal(EscapeCharacter));
                        break;
                    default:
                        elements.Add(Element.Literal(c));
                        break;
                }
            }

            return elements.ToArray();
        }

        /// <summary>
        /// Reads <c>[...]</c> from the <c>[</c> at <paramref name="open"/> and returns the index of its
        /// <c>]</c>. As in PowerShell, a <c>]</c> right after the <c>[</c> is a member, a backtick escapes
        /// the next character, and <c>x-y</c> is a range; there is no negation.
        /// </summary>
        private static int ParseSet(string pattern, int open, List<Element> elements)
        {
            var members = new List<char>();
            var isRangeDash = new List<bool>();
            var i = open + 1;
            for (; i < pattern.Length; i++)
            {
                var c = pattern[i];
                if (c == ']' && i > open + 1) break;
                if (c == EscapeCharacter && i + 1 < pattern.Length)
                {
                    members.Add(pattern[++i]);
                    isRangeDash.Add(false);
                    continue;
                }

                members.Add(c);
                isRangeDash.Add(c == '-');
            }

            if (i >= pattern.Length)
            {
                throw Invalid(pattern, $"the '[' at position {open + 1} has no closing ']'. Write `[ for a literal '['");
            }

            var ranges = new List<(char Low, char High)>();
            for (var m = 0; m < members.Count;)
            {
                if (m + 2 < members.Count && isRangeDash[m + 1])
                {
                    if (members[m] > members[m + 2])
                    {
                        throw Invalid(pattern, $"the range {members[m]}-{members[m + 2]} runs backwards");
                    }

                    ranges.Add((members[m], members[m + 2]));
                    m += 3;
                }
                else
                {
                    ranges.Add((members[m], members[m]));
                    m++;
                }
            }

            elements.Add(Element.Set(ranges.ToArray()));
            return i;
        }

        private static MonarchLogsException Invalid(string pattern, string why) =>
            new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument, $"'{DisplayText.Quote(pattern)}' is not a valid wildcard pattern: {why}.");

        /// <summary>The text a pattern of literal characters only stands for, else null.</summary>
        private static string? LiteralOf(Element[] elements)
        {
            var chars = new char[elements.Length];
            for (var i = 0; i < elements.Length; i++)
            {
                if (elements[i].Kind != ElementKind.Literal) return null;
                chars[i] = elements[i].Char;
            }

            return new string(chars);
        }

        private enum ElementKind
        {
            Literal,
            AnyOne,
            Set,
            Star,
        }

        private readonly struct Element
        {
            private readonly (char Low, char High)[]? _ranges;

            private Element(ElementKind kind, char c, (char Low, char High)[]? ranges)
            {
                Kind = kind;
                Char = c;
                _ranges = ranges;
            }

            public static Element Star => new Element(ElementKind.Star, default, null);

            public static Element AnyOne => new Element(ElementKind.AnyOne, default, null);

            public ElementKind Kind { get; }

            public char Char { get; }

            public static Element Literal(char c) => new Element(ElementKind.Literal, c, null);

            public static Element Set((char Low, char High)[] ranges) => new Element(ElementKind.Set, default, ranges);

            /// <summary>Whether this one-character element takes <paramref name="c"/>, ignoring case (culture-invariant).</summary>
            public bool Matches(char c)
            {
                switch (Kind)
                {
                    case ElementKind.AnyOne:
                        return true;
                    case ElementKind.Literal:
                        return c == Char || char.ToUpperInvariant(c) == char.ToUpperInvariant(Char);
                    case ElementKind.Set:
                        return InSet(c) || InSet(char.ToUpperInvariant(c)) || InSet(char.ToLowerInvariant(c));
                    default:
                        return false;
                }
            }

            private bool InSet(char c)
            {
                foreach (var (low, high) in _ranges!)
                {
                    if (c >= low && c <= high) return true;
                }

                return false;
            }
        }
    }
}
