using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core;
using StackExchange.Redis;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    public sealed class StreamApiTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public StreamApiTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task The_stream_sends_new_matching_entries_as_one_line_json_events()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            await viewer.AppendAsync(Entry("live", MonarchLogLevel.Error, DateTime.UtcNow.AddMinutes(-1), "written before the tail opened"));
            await using var events = await SseReader.OpenAsync(viewer, "api/stream?service=live&level=error");
            await events.ReadUntilEventAsync("ready");

            var forged = "line one\n\ndata: {\"message\":\"forged\"}\n\nevent: ready\r\nid: 1-0@x/error\rend";
            await viewer.AppendAsync(
                Entry("live", MonarchLogLevel.Information, DateTime.UtcNow, "wrong level"),
                Entry("other", MonarchLogLevel.Error, DateTime.UtcNow, "wrong service"),
                Entry("live", MonarchLogLevel.Error, DateTime.UtcNow, forged));

            var message = await events.ReadUntilEventAsync("message");
            Assert.Single(message.DataLines);
            using var json = JsonDocument.Parse(message.DataLines[0]);
            Assert.Equal(forged, json.RootElement.GetProperty("message").GetString());
            Assert.Equal(json.RootElement.GetProperty("id").GetString(), message.Id);

            await viewer.AppendAsync(Entry("live", MonarchLogLevel.Error, DateTime.UtcNow, "second"));
            var second = await events.ReadUntilEventAsync("message");
            using var secondJson = JsonDocument.Parse(second.DataLines[0]);
            Assert.Equal("second", secondJson.RootElement.GetProperty("message").GetString());
        }

        [Fact]
        public async Task After_a_cursor_the_stream_first_sends_what_was_written_since_then()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = DateTime.UtcNow.AddMinutes(-5);
            await viewer.AppendAsync(
                Entry("resume", MonarchLogLevel.Information, t, "seen"),
                Entry("resume", MonarchLogLevel.Information, t.AddSeconds(1), "missed 1"),
                Entry("resume", MonarchLogLevel.Warning, t.AddSeconds(2), "missed 2"));
            var seen = await IdOfAsync(viewer.Store, "seen");

            await using var events = await SseReader.OpenAsync(viewer, "api/stream?after=" + Uri.EscapeDataString(seen));
            var first = await events.ReadUntilEventAsync("message");
            var second = await events.ReadUntilEventAsync("message");
            Assert.Contains("\"missed 1\"", first.DataLines[0]);
            Assert.Contains("\"missed 2\"", second.DataLines[0]);
            await events.ReadUntilEventAsync("ready");

            // A browser that reconnects sends the last id it saw; the stream resumes right after it:
            // exactly the entries written later, then ready, and none it had already seen. (Without
            // the header and without after, the stream sends no backlog at all, only ready.)
            await using var resumed = await SseReader.OpenAsync(viewer, "api/stream", lastEventId: first.Id);
            var replayed = new List<string>();
            for (var next = await resumed.ReadNextEventAsync(); next.Event != "ready"; next = await resumed.ReadNextEventAsync())
            {
                Assert.Equal("message", next.Event);
                using var json = JsonDocument.Parse(next.DataLines[0]);
                replayed.Add(json.RootElement.GetProperty("message").GetString()!);
            }

            Assert.Equal(new[] { "missed 2" }, replayed);
        }

        [Fact]
        public async Task An_idle_stream_sends_heartbeat_comments()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, options =>
            {
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
                options.TailPollInterval = TimeSpan.FromMilliseconds(100);
            });
            await using var events = await SseReader.OpenAsync(viewer, "api/stream");
            await events.ReadUntilEventAsync("ready");
            var comment = await events.ReadCommentAsync();
            Assert.Equal("heartbeat", comment);
        }

        [Fact]
        public async Task The_stream_ends_and_unsubscribes_when_the_client_goes_away()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, options => options.TailPollInterval = TimeSpan.FromMilliseconds(100));
            var channel = RedisChannel.Literal(viewer.Store.Format.NotifyChannel);
            var server = _valkey.Connection.GetServer(_valkey.Server.ConnectionString);

            var events = await SseReader.OpenAsync(viewer, "api/stream");
            await events.ReadUntilEventAsync("ready");
            Assert.Equal(1, await server.SubscriptionSubscriberCountAsync(channel));

            await events.DisposeAsync();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await server.SubscriptionSubscriberCountAsync(channel) > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(0, await server.SubscriptionSubscriberCountAsync(channel));
        }

        /// <summary>A minimal Server-Sent Events reader over a real HTTP response.</summary>
        internal sealed class SseReader : IAsyncDisposable
        {
            private readonly HttpClient _client;
            private readonly HttpResponseMessage _response;
            private readonly StreamReader _reader;
            private readonly CancellationTokenSource _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

            private SseReader(HttpClient client, HttpResponseMessage response, StreamReader reader)
            {
                _client = client;
                _response = response;
                _reader = reader;
            }

            public sealed record SseEvent(string Event, string? Id, List<string> DataLines);

            public static async Task<SseReader> OpenAsync(ViewerSession viewer, string url, string? lastEventId = null)
            {
                var client = new HttpClient { BaseAddress = viewer.BaseUri, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
                var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
                var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                if (!response.IsSuccessStatusCode)
                {
                    Assert.Fail($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
                return new SseReader(client, response, new StreamReader(await response.Content.ReadAsStreamAsync()));
            }

            public async Task<SseEvent> ReadUntilEventAsync(string name)
            {
                while (true)
                {
                    var next = await ReadNextEventAsync();
                    if (next.Event == name) return next;
                }
            }

            /// <summary>The next event with data, skipping comments and the retry field.</summary>
            public async Task<SseEvent> ReadNextEventAsync()
            {
                string name = "message";
                string? id = null;
                var data = new List<string>();
                while (true)
                {
                    var line = await _reader.ReadLineAsync(_timeout.Token) ?? throw new EndOfStreamException("The event stream ended.");
                    if (line.Length == 0)
                    {
                        if (data.Count > 0) return new SseEvent(name, id, data);
                        name = "message";
                        id = null;
                        continue;
                    }

                    if (line.StartsWith(":", StringComparison.Ordinal)) continue;
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line.Substring(7);
                    else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line.Substring(4);
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line.Substring(6));
                }
            }

            public async Task<string> ReadCommentAsync()
            {
                while (true)
                {
                    var line = await _reader.ReadLineAsync(_timeout.Token) ?? throw new EndOfStreamException("The event stream ended.");
                    if (line.StartsWith(": ", StringComparison.Ordinal)) return line.Substring(2);
                }
            }

            public ValueTask DisposeAsync()
            {
                _reader.Dispose();
                _response.Dispose();
                _client.Dispose();
                _timeout.Dispose();
                return default;
            }
        }
    }
}
