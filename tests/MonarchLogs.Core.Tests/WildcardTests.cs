using System;
using System.Text.RegularExpressions;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The wildcards of -Service, -Category, -Message and the web filters: PowerShell's
    /// WildcardPattern with IgnoreCase (every row of the table was checked against it).
    /// </summary>
    public sealed class WildcardTests
    {
        [Theory]
        [InlineData("ord*", "Orders", true)]
        [InlineData("ord", "orders", false)]
        [InlineData("a?c", "abc", true)]
        [InlineData("a?c", "ac", false)]
        [InlineData("a.c", "A.C", true)]
        [InlineData("a.c", "abc", false)]
        [InlineData("*", "anything", true)]
        [InlineData("*", "", true)]
        [InlineData("?", "", false)]
        [InlineData("", "x", false)]
        [InlineData("", "", true)]
        [InlineData("a*b*c", "aXXbYYc", true)]
        [InlineData("a*b*c", "aXXbYY", false)]
        [InlineData("*a*a*a", "aaa", true)]
        [InlineData("*a*a*a", "aa", false)]
        [InlineData("[abc]x", "bx", true)]
        [InlineData("[abc]x", "BX", true)]
        [InlineData("[abc]x", "dx", false)]
        [InlineData("[a-c]*", "Cat", true)]
        [InlineData("[a-c]*", "dog", false)]
        [InlineData("[A-Z]9", "q9", true)]
        [InlineData("[0-9][0-9]", "42", true)]
        [InlineData("[0-9][0-9]", "4x", false)]
        [InlineData("[]]", "]", true)]
        [InlineData("[a-]", "-", true)]
        [InlineData("[-a]", "-", true)]
        [InlineData("[`]]", "]", true)]
        [InlineData("[!a]", "!", true)]
        [InlineData("[!a]", "b", false)]
        [InlineData("[^a]", "^", true)]
        [InlineData("a`*", "a*", true)]
        [InlineData("a`*", "ab", false)]
        [InlineData("a`?", "a?", true)]
        [InlineData("a`?", "ab", false)]
        [InlineData("`[a]", "[a]", true)]
        [InlineData("`[a]", "a", false)]
        [InlineData("a``b", "a`b", true)]
        [InlineData("ab`", "ab`", true)]
        [InlineData("`a", "a", true)]
        [InlineData("orders.*.api", "Orders.Eu.API", true)]
        [InlineData("*timeout*", "Gateway TIMEOUT after 30s", true)]
        [InlineData("Müller*", "MÜLLER & Sohn", true)]
        public void Matches_as_PowerShell_WildcardPattern_does_ignoring_case(string pattern, string text, bool expected)
        {
            Assert.Equal(expected, new Wildcard(pattern).IsMatch(text));
        }

        [Theory]
        [InlineData("[")]
        [InlineData("a[")]
        [InlineData("[]")]
        [InlineData("a[bc")]
        [InlineData("[z-a]")]
        public void A_pattern_PowerShell_refuses_is_an_InvalidWildcard_error(string pattern)
        {
            var error = Assert.Throws<MonarchLogsException>(() => new Wildcard(pattern));
            Assert.Equal("InvalidWildcard", error.ErrorId);
            Assert.Equal(MonarchErrorKind.InvalidArgument, error.Kind);
        }

        [Fact]
        public void A_filter_with_an_invalid_wildcard_is_refused_before_it_reads()
        {
            var error = Assert.Throws<MonarchLogsException>(() => new LogFilter(new LogQuery { Categories = new[] { "Monarch.[Orders" } }));
            Assert.Equal("InvalidWildcard", error.ErrorId);
        }

        [Fact]
        public void Many_stars_against_a_long_text_finish_and_answer_right()
        {
            // A backtracking matcher takes exponential time here: every star can take any run of
            // 'a', and only the last character decides. It ran for minutes on far shorter texts.
            var text = new string('a', 100_000);
            var pattern = new Wildcard("*a*a*a*a*a*a*a*a*a*a*a*a*aX");
            Assert.False(pattern.IsMatch(text));
            Assert.True(pattern.IsMatch(text + "X"));
            Assert.True(new Wildcard("*a?a*[a-b]*a*a*a*a*a*a*a*a*a*a").IsMatch(text));
            Assert.False(new Wildcard("*a?a*[b-c]*a*a*a*a*a*a*a*a*a*a").IsMatch(text));
        }

        [Fact]
        public void A_message_wildcard_matches_the_whole_message_or_the_exception()
        {
            var filter = new LogFilter(new LogQuery { Message = "*time?out*" });
            Assert.True(filter.Matches(new MonarchLogEntry { Message = "Gateway time-out" }));
            Assert.True(filter.Matches(new MonarchLogEntry { Message = "failed", Exception = "System.TimeoutException: TIME OUT" }));
            Assert.False(filter.Matches(new MonarchLogEntry { Message = "timeout" }));
        }

        [Fact]
        public void A_regular_expression_that_runs_too_long_stops_the_query_with_PatternTimeout()
        {
            // (a+)+$ against a run of 'a' with a wrong last character takes 2^n steps.
            var filter = new LogFilter(new LogQuery { Pattern = new Regex("(a+)+$", RegexOptions.IgnoreCase) });
            var entry = new MonarchLogEntry { Message = new string('a', 40) + "!" };
            var error = Assert.Throws<MonarchLogsException>(() => filter.Matches(entry));
            Assert.Equal("PatternTimeout", error.ErrorId);
            Assert.Equal(MonarchErrorKind.InvalidArgument, error.Kind);
            Assert.IsType<RegexMatchTimeoutException>(error.InnerException);
            Assert.True(filter.Matches(new MonarchLogEntry { Message = "aaa" }));
        }
    }
}
