using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Logging;
using MonarchLogs.Logging.Writing;

namespace MonarchLogs.TestProducer
{
    /// <summary>
    /// Logs entries <c>&lt;producer&gt;:&lt;thread&gt;:&lt;seq&gt;</c> through the Valkey provider
    /// from several threads at a set rate, disposes the provider, and prints its counts as one
    /// JSON line (<c>"event":"result"</c>). With <c>--wait</c> it first stores one warm-up entry
    /// (<c>&lt;producer&gt;:warmup:0</c>), prints <c>"event":"ready"</c> and waits for a line on
    /// stdin, so that a test can set up a fault while the writer is connected and idle. With
    /// <c>--exit-without-dispose</c> it is a small web program instead, one that logs and returns
    /// from Main without disposing its host (<see cref="LogAndReturnWithoutDispose"/>).
    /// </summary>
    internal static class Program
    {
        public const string Category = "MonarchLogs.TestProducer";
        private const string Template = "{Producer}:{Thread}:{Seq}";

        private static int Main(string[] args)
        {
            ProducerOptions options;
            try
            {
                options = ProducerOptions.Parse(args);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException || ex is OverflowException)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }

            if (options.ExitWithoutDispose) return LogAndReturnWithoutDispose(options);
            using var events = new WriterEvents();
            using var meter = new DropMeter();
            var provider = new MonarchValkeyLoggerProvider(Configure(new MonarchValkeyLoggerOptions(), options));
            var logger = provider.CreateLogger(Category);
            long warmup = 0;
            if (options.Wait)
            {
                logger.LogInformation(Template, options.Producer, "warmup", 0);
                warmup = 1;
                var clock = Stopwatch.StartNew();
                while (provider.EntriesWritten < 1)
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        Console.Error.WriteLine("The warm-up entry was not written within 30 s.");
                        return 3;
                    }

                    Thread.Sleep(10);
                }

                Say(new Dictionary<string, object> { ["event"] = "ready" });
                Console.In.ReadLine();
            }

            Say(new Dictionary<string, object> { ["event"] = "logging" });
            var errors = new long[options.Threads];
            var logged = new long[options.Threads];
            var threads = Enumerable.Range(0, options.Threads).Select(t => new Thread(() => Produce(logger, options, t, ref logged[t], ref errors[t])) { IsBackground = true }).ToList();
            var start = Stopwatch.StartNew();
            foreach (var thread in threads) thread.Start();
            foreach (var thread in threads) thread.Join();
            var loggingTime = start.Elapsed;
            Say(new Dictionary<string, object> { ["event"] = "logged", ["logged"] = logged.Sum() + warmup });

            var disposing = Stopwatch.StartNew();
            provider.Dispose();
            var disposeTime = disposing.Elapsed;

            var result = Result(options, provider, events, meter, logged.Sum() + warmup, errors.Sum());
            result["loggingMs"] = (long)loggingTime.TotalMilliseconds;
            result["disposeMs"] = (long)disposeTime.TotalMilliseconds;
            Say(result);
            return 0;
        }

        /// <summary>
        /// As a small web program that ends without disposing its host: builds a WebApplication
        /// with the provider, logs one entry (<c>&lt;producer&gt;:main:0</c>), starts and stops the
        /// app, says "returning" and returns from Main. The result line is printed by a ProcessExit
        /// handler added after the provider's (made with its writer; handlers run in the order they
        /// were added), so it tells what the flush at exit did.
        /// </summary>
        private static int LogAndReturnWithoutDispose(ProducerOptions options)
        {
            // Neither is disposed: they must still count at process exit.
            var events = new WriterEvents();
            var meter = new DropMeter();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddMonarchValkey(provider => Configure(provider, options));
            var app = builder.Build();
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
            var provider = app.Services.GetServices<ILoggerProvider>().OfType<MonarchValkeyLoggerProvider>().Single();

            logger.LogInformation(Template, options.Producer, "main", 0);
            Say(new Dictionary<string, object> { ["event"] = "logged", ["logged"] = 1 });
            app.StartAsync().GetAwaiter().GetResult();
            app.StopAsync().GetAwaiter().GetResult();

            AppDomain.CurrentDomain.ProcessExit += (_, _) => Say(Result(options, provider, events, meter, logged: 1, loggedErrors: 0));
            Say(new Dictionary<string, object> { ["event"] = "returning", ["atUnixMs"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
            return 0;
        }

        /// <summary>The result line: the provider's counts, its drops by reason from its ledger and from its meter.</summary>
        private static Dictionary<string, object> Result(ProducerOptions options, MonarchValkeyLoggerProvider provider, WriterEvents events, DropMeter meter, long logged, long loggedErrors)
        {
            var ledger = provider.Writer.Ledger;
            var droppedBy = new Dictionary<string, long>();
            foreach (DropReason reason in Enum.GetValues(typeof(DropReason))) droppedBy[reason.ToString()] = ledger.Count(reason);
            return new Dictionary<string, object>
            {
                ["event"] = "result",
                ["producer"] = options.Producer,
                ["service"] = options.Service,
                ["logged"] = logged,
                ["loggedErrors"] = loggedErrors,
                ["written"] = provider.EntriesWritten,
                ["dropped"] = provider.EntriesDropped,
                ["buffered"] = provider.EntriesBuffered,
                ["droppedBy"] = droppedBy,
                ["meteredDroppedBy"] = meter.ByReason(),
                ["writeFailures"] = events.WriteFailures,
                ["partitionsSetAside"] = events.PartitionsSetAside,
                ["processExitFlushTimeouts"] = events.ProcessExitFlushTimeouts,
            };
        }

        private static MonarchValkeyLoggerOptions Configure(MonarchValkeyLoggerOptions provider, ProducerOptions options)
        {
            provider.ConnectionString = options.ConnectionString;
            provider.Prefix = options.KeyPrefix;
            provider.Service = options.Service;
            if (options.BufferCapacity is { } buffer) provider.BufferCapacity = buffer;
            // "--batch N" means batches of N, also when the writer is behind (no larger backlog batches).
            if (options.MaxBatchSize is { } batch)
            {
                provider.MaxBatchSize = batch;
                provider.BacklogBatchSize = 0;
            }

            if (options.BatchDelay is { } delay) provider.BatchDelay = delay;
            if (options.FlushTimeout is { } flush) provider.FlushTimeout = flush;
            if (options.ProcessExitFlushTimeout is { } exitFlush) provider.ProcessExitFlushTimeout = exitFlush;
            if (options.MinRetryDelay is { } minRetry) provider.MinRetryDelay = minRetry;
            if (options.MaxRetryDelay is { } maxRetry) provider.MaxRetryDelay = maxRetry;
            if (options.RetryTimeLimit is { } retryLimit) provider.RetryTimeLimit = retryLimit;
            return provider;
        }

        /// <summary>Logs this thread's share; entry k of the thread is due k * threads / rate seconds after the start.</summary>
        private static void Produce(ILogger logger, ProducerOptions options, int thread, ref long logged, ref long errors)
        {
            var share = options.Entries / options.Threads + (thread < options.Entries % options.Threads ? 1 : 0);
            var interval = options.Rate > 0 ? options.Threads / options.Rate : 0;
            var clock = Stopwatch.StartNew();
            for (var seq = 0; seq < share; seq++)
            {
                if (interval > 0)
                {
                    var ahead = seq * interval - clock.Elapsed.TotalSeconds;
                    if (ahead > 0.001) Thread.Sleep(TimeSpan.FromSeconds(ahead));
                }

                var error = options.ErrorEvery > 0 && seq % options.ErrorEvery == 0;
                logger.Log(error ? LogLevel.Error : LogLevel.Information, Template, options.Producer, thread, seq);
                logged++;
                if (error) errors++;
            }
        }

        private static void Say(Dictionary<string, object> line)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(line));
            Console.Out.Flush();
        }
    }
}
