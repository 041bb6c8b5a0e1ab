using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Playwright;
using Xunit;

namespace MonarchLogs.Web.Tests
{
    /// <summary>
    /// Debian's Chromium, headless, driven by Playwright's driver as the NuGet package ships it
    /// (no browser download), with a fresh profile folder, plus a valkey-server for the tests.
    /// </summary>
    public sealed class BrowserFixture : IAsyncLifetime
    {
        public const string ChromiumPath = "/usr/bin/chromium";

        private static readonly string[] ChromiumArgs =
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        };

        private string _profile = string.Empty;
        private IBrowser? _zonedBrowser;

        public ValkeyFixture Valkey { get; } = new ValkeyFixture();

        public IPlaywright Playwright { get; private set; } = null!;

        public IBrowserContext Context { get; private set; } = null!;

        public static string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts");

        public async Task InitializeAsync()
        {
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            Directory.CreateDirectory(ArtifactsDirectory);
            if (!File.Exists(ChromiumPath))
            {
                throw new InvalidOperationException($"{ChromiumPath} is missing; run build/install-prerequisites.sh to install Debian's chromium.");
            }

            await Valkey.InitializeAsync();
            Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            _profile = Path.Combine(Path.GetTempPath(), "monarchlogs-chromium-" + Guid.NewGuid().ToString("N"));
            Context = await Playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
                TimezoneId = "UTC",
                Locale = "en-US",
            });
        }

        public async Task<IPage> NewPageAsync(List<string> problems)
        {
            var page = await Context.NewPageAsync();
            page.Console += (_, message) =>
            {
                if (message.Type == "error") problems.Add("console: " + message.Text);
            };
            page.PageError += (_, error) => problems.Add("page error: " + error);
            return page;
        }

        /// <summary>
        /// A context whose clock is in another time zone than the default context's UTC, from a
        /// second browser started the first time a test asks for one.
        /// </summary>
        public async Task<IBrowserContext> NewZonedContextAsync(string timezoneId)
        {
            _zonedBrowser ??= await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
            });
            return await _zonedBrowser.NewContextAsync(new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
                TimezoneId = timezoneId,
                Locale = "en-US",
            });
        }

        public async Task DisposeAsync()
        {
            if (_zonedBrowser is not null) await _zonedBrowser.CloseAsync();
            if (Context is not null) await Context.CloseAsync();
            Playwright?.Dispose();
            await Valkey.DisposeAsync();
            try
            {
                if (_profile.Length > 0) Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The browser tests share one Chromium and one Valkey and run one class at a time.</summary>
    [CollectionDefinition(Name)]
    public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
    {
        public const string Name = "Browser";
    }
}
