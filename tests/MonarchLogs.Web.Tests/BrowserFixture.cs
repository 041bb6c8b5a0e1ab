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
    /// (no browser download), with a fresh profile folder, plus a valkey-server for the class.
    /// </summary>
    public sealed class BrowserFixture : IAsyncLifetime
    {
        public const string ChromiumPath = "/usr/bin/chromium";

        private string _profile = string.Empty;

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
                Args = new List<string>
                {
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                },
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

        public async Task DisposeAsync()
        {
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
}
