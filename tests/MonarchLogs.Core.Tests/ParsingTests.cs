using System;
using System.Globalization;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Tests
{
    public sealed class ParsingTests
    {
        private static readonly DateTime Now = new DateTime(2026, 11, 28, 14, 0, 0, DateTimeKind.Utc);

        [Theory]
        [InlineData("-1h", 60)]
        [InlineData("1h", 60)]
        [InlineData("30min ago", 30)]
        [InlineData("30 minutes ago", 30)]
        [InlineData("2d", 2880)]
        [InlineData("90s", 1.5)]
        [InlineData("1w", 10080)]
        public void Relative_times_count_back_from_now(string text, double minutesAgo)
        {
            Assert.Equal(Now.AddMinutes(-minutesAgo), TimeExpression.Parse(text, Now));
        }

        [Fact]
        public void Absolute_and_named_times_parse()
        {
            Assert.Equal(new DateTime(2026, 11, 27, 8, 30, 0, DateTimeKind.Utc), TimeExpression.Parse("2026-11-27T08:30:00Z", Now));
            Assert.Equal(Now, TimeExpression.Parse("now", Now));
            Assert.Equal(TimeExpression.Parse("today", Now).AddDays(-1), TimeExpression.Parse("yesterday", Now));
            Assert.Equal(DateTimeKind.Utc, TimeExpression.Parse("today", Now).Kind);
        }

        [Fact]
        public void The_stored_time_form_reads_back_to_the_tick_and_other_forms_are_left_to_the_general_parser()
        {
            var random = new Random(11);
            for (var i = 0; i < 20_000; i++)
            {
                var time = new DateTime((long)(random.NextDouble() * DateTime.MaxValue.Ticks), DateTimeKind.Utc);
                Assert.True(StorageFormat.TryParseRoundTrip(time.ToString("O", CultureInfo.InvariantCulture), out var read));
                Assert.Equal(time, read);
                Assert.Equal(DateTimeKind.Utc, read.Kind);
            }

            foreach (var other in new[]
            {
                "2026-02-30T10:00:00.0000000Z", "2026-13-01T10:00:00.0000000Z", "2026-11-28T24:00:00.0000000Z", "2026-11-28T14:60:00.0000000Z",
                "2026-11-28T14:28:07.123456+01", "2026-11-28 14:28:07.1234567Z", "2026-11-28T14:28:07.12345x7Z", "0000-01-01T00:00:00.0000000Z",
                "2026-11-28T14:28:07Z", "", "٢٠٢٦-11-28T14:28:07.1234567Z",
            })
            {
                Assert.False(StorageFormat.TryParseRoundTrip(other, out _), other);
            }
        }

        [Fact]
        public void Nonsense_is_an_InvalidTimeExpression_error()
        {
            var error = Assert.Throws<MonarchLogsException>(() => TimeExpression.Parse("next tuesday-ish", Now));
            Assert.Equal("InvalidTimeExpression", error.ErrorId);
        }

        [Theory]
        [InlineData("-800000d")]
        [InlineData("-99999999999999999999d")]
        [InlineData("99999999999999999999999999999999999999999999999999w ago")]
        public void A_duration_that_reaches_before_year_1_is_TimeOutOfRange_not_an_overflow(string text)
        {
            Assert.False(TimeExpression.TryParse(text, Now, out _));
            var error = Assert.Throws<MonarchLogsException>(() => TimeExpression.Parse(text, Now));
            Assert.Equal("TimeOutOfRange", error.ErrorId);
        }

        [Fact]
        public void A_filter_refuses_a_time_before_1970_which_no_entry_id_can_name()
        {
            var since = Assert.Throws<MonarchLogsException>(() => new LogFilter(new LogQuery { Since = new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc) }));
            Assert.Equal("TimeOutOfRange", since.ErrorId);
            Assert.Contains("Since", since.Message);
            var until = Assert.Throws<MonarchLogsException>(() => new LogFilter(new LogQuery { Until = new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Utc) }));
            Assert.Equal("TimeOutOfRange", until.ErrorId);
            _ = new LogFilter(new LogQuery { Since = LogFilter.EarliestTime, Until = LogFilter.LatestTime });
        }

        [Fact]
        public void A_long_or_hostile_text_is_not_a_time_and_its_quote_in_the_error_is_short_and_escaped()
        {
            var error = Assert.Throws<MonarchLogsException>(() => TimeExpression.Parse("1" + new string(' ', 10_000) + "h\u202E\r", Now));
            Assert.Equal("InvalidTimeExpression", error.ErrorId);
            Assert.True(error.Message.Length < 300, error.Message);
            Assert.Equal("a\\u202Eb\\u000D…", DisplayText.Quote("a\u202Eb\r" + new string('x', 200), maxLength: 14));
        }

        [Theory]
        [InlineData("info", MonarchLogLevel.Information)]
        [InlineData("WARN", MonarchLogLevel.Warning)]
        [InlineData("Fatal", MonarchLogLevel.Critical)]
        [InlineData("error", MonarchLogLevel.Error)]
        [InlineData("trace", MonarchLogLevel.Trace)]
        public void Level_aliases_parse(string text, MonarchLogLevel level) => Assert.Equal(level, LogLevels.Parse(text));

        [Fact]
        public void Entry_ids_round_trip_with_odd_service_names()
        {
            var id = LogEntryId.Parse("1764340087123-7@a@b/c:d/error");
            Assert.Equal("a@b/c:d", id.Service);
            Assert.Equal(MonarchLogLevel.Error, id.Level);
            Assert.Equal(new StreamId(1764340087123, 7), id.Position);
            Assert.Equal("1764340087123-7@a@b/c:d/error", id.ToString());
            Assert.False(LogEntryId.TryParse("1764340087123-7", out _));
        }

        [Fact]
        public void Wildcards_are_case_insensitive_and_whole_value()
        {
            Assert.True(new Wildcard("ord*").IsMatch("Orders"));
            Assert.False(new Wildcard("ord").IsMatch("orders"));
            Assert.True(new Wildcard("a?c").IsMatch("abc"));
            Assert.True(new Wildcard("a.c").IsMatch("A.C"));
            Assert.False(new Wildcard("a.c").IsMatch("abc"));
        }
    }
}
