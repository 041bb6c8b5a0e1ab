namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>Where a field's value lies in a payload (<see cref="IsAscii"/>), or the text it holds.</summary>
    internal readonly struct PayloadValue
    {
        public PayloadValue(int start, int length, string? text)
        {
            Start = start;
            Length = length;
            Text = text;
        }

        /// <summary>Where the value's bytes start in the payload.</summary>
        public int Start { get; }

        /// <summary>The number of bytes.</summary>
        public int Length { get; }

        /// <summary>The value as text, when it is not plain ASCII in the payload; null when it is (or when the line lacks the field: <see cref="IsMissing"/>).</summary>
        public string? Text { get; }

        /// <summary>Plain ASCII that an archive line holds byte for byte (a JSON string's content, or a properties object that is written as a string).</summary>
        public bool IsAscii => Text is null && Length > 0;

        /// <summary>The line has no such field, or an empty one: it reads as empty text.</summary>
        public bool IsMissing => Text is null && Length == 0;
    }
}
