using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace MonarchLogs.DemoService;

/// <summary>
/// Plays the part of Monarch's services: orders, billing, inventory and a gateway, each with
/// its own categories, logging at every level with scopes, properties and real exceptions.
/// The "Service" scope property routes an entry to its service in the store.
/// </summary>
public sealed partial class MonarchSimulator(
    ILoggerFactory loggers,
    IOptions<DemoOptions> options,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private const string ActivitySourceName = "Monarch.Demo";
    private static readonly ActivitySource Activities = new(ActivitySourceName);
    private static readonly string[] Services = ["orders", "billing", "inventory", "gateway"];
    private static readonly string[] Customers = ["acme", "globex", "initech", "umbrella", "hooli"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);

        var random = new Random(42);
        var interval = TimeSpan.FromSeconds(1 / Math.Max(0.1, options.Value.EntriesPerSecond));
        var total = options.Value.TotalEntries;
        var written = 0;
        using var timer = new PeriodicTimer(interval < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : interval);
        var perTick = interval < TimeSpan.FromMilliseconds(1) ? (int)Math.Round(TimeSpan.FromMilliseconds(1) / interval) : 1;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            for (var i = 0; i < perTick; i++)
            {
                written += LogOneOperation(random, written);
                if (total > 0 && written >= total)
                {
                    lifetime.StopApplication();
                    return;
                }
            }
        }
    }

    /// <summary>One simulated operation; returns how many entries it logged.</summary>
    private int LogOneOperation(Random random, int sequence)
    {
        var service = Services[sequence % Services.Length];
        var customer = Customers[random.Next(Customers.Length)];
        using var activity = Activities.StartActivity(service + ".operation");
        using var serviceScope = loggers.CreateLogger("Monarch").BeginScope(new Dictionary<string, object?> { ["Service"] = service });
        using var customerScope = loggers.CreateLogger("Monarch").BeginScope("Customer {Customer}", customer);
        var roll = random.Next(100);
        switch (service)
        {
            case "orders":
                var orders = loggers.CreateLogger("Monarch.Orders.OrderProcessor");
                var orderId = 10_000 + sequence;
                if (roll < 10) OrderTrace(orders, orderId, random.Next(1, 9));
                else if (roll < 25) OrderReceived(orders, orderId, random.Next(1, 9), Math.Round(random.NextDouble() * 500, 2));
                else if (roll < 90) OrderShipped(orders, orderId, customer);
                else if (roll < 97) OrderSlow(orders, orderId, random.Next(1_000, 5_000));
                else OrderFailed(orders, Throw(() => new InvalidOperationException($"Order {orderId} has no shipping address")), orderId);
                return 1;
            case "billing":
                var billing = loggers.CreateLogger("Monarch.Billing.InvoiceService");
                var invoice = $"INV-{sequence:D6}";
                if (roll < 20) InvoiceDebug(billing, invoice, customer);
                else if (roll < 90) InvoiceIssued(billing, invoice, Math.Round(random.NextDouble() * 900, 2), "EUR");
                else if (roll < 98) PaymentRetry(billing, invoice, random.Next(1, 4));
                else PaymentFailed(billing, Throw(() => new TimeoutException("The payment gateway did not answer within 30 s")), invoice);
                return 1;
            case "inventory":
                var stock = loggers.CreateLogger("Monarch.Inventory.StockLevels");
                var sku = $"SKU-{random.Next(100, 999)}";
                if (roll < 30) StockChecked(stock, sku, random.Next(0, 500));
                else if (roll < 95) StockReserved(stock, sku, random.Next(1, 10));
                else if (roll < 99) StockLow(stock, sku, random.Next(0, 5));
                else StockCorrupt(stock, Throw(() => new IOException("Checksum mismatch in the stock ledger")), sku);
                return 1;
            default:
                var gateway = loggers.CreateLogger("Monarch.Gateway.RequestLog");
                var path = roll % 3 == 0 ? "/api/orders" : roll % 3 == 1 ? "/api/invoices" : "/api/stock";
                if (roll < 95) Request(gateway, "GET", path, 200, random.Next(2, 120));
                else if (roll < 99) Request(gateway, "POST", path, 429, random.Next(1, 5));
                else GatewayDown(gateway, Throw(() => new HttpRequestException("Upstream connection refused")), path);
                return 1;
        }
    }

    private static Exception Throw(Func<Exception> create)
    {
        try
        {
            throw create();
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [LoggerMessage(1001, LogLevel.Trace, "Order {OrderId}: validating {LineCount} lines")]
    private static partial void OrderTrace(ILogger logger, int orderId, int lineCount);

    [LoggerMessage(1002, LogLevel.Debug, "Order {OrderId} received with {LineCount} lines, total {Total}")]
    private static partial void OrderReceived(ILogger logger, int orderId, int lineCount, double total);

    [LoggerMessage(1003, LogLevel.Information, "Order {OrderId} shipped to {Customer}")]
    private static partial void OrderShipped(ILogger logger, int orderId, string customer);

    [LoggerMessage(1004, LogLevel.Warning, "Order {OrderId} took {ElapsedMs} ms to route")]
    private static partial void OrderSlow(ILogger logger, int orderId, int elapsedMs);

    [LoggerMessage(1005, LogLevel.Error, "Order {OrderId} could not be shipped")]
    private static partial void OrderFailed(ILogger logger, Exception exception, int orderId);

    [LoggerMessage(2001, LogLevel.Debug, "Preparing invoice {Invoice} for {Customer}")]
    private static partial void InvoiceDebug(ILogger logger, string invoice, string customer);

    [LoggerMessage(2002, LogLevel.Information, "Invoice {Invoice} issued for {Amount} {Currency}")]
    private static partial void InvoiceIssued(ILogger logger, string invoice, double amount, string currency);

    [LoggerMessage(2003, LogLevel.Warning, "Payment for {Invoice} declined, retry {Attempt}")]
    private static partial void PaymentRetry(ILogger logger, string invoice, int attempt);

    [LoggerMessage(2004, LogLevel.Critical, "Payment gateway failure while charging {Invoice}")]
    private static partial void PaymentFailed(ILogger logger, Exception exception, string invoice);

    [LoggerMessage(3001, LogLevel.Debug, "Stock of {Sku} is {Quantity}")]
    private static partial void StockChecked(ILogger logger, string sku, int quantity);

    [LoggerMessage(3002, LogLevel.Information, "Reserved {Quantity} of {Sku}")]
    private static partial void StockReserved(ILogger logger, string sku, int quantity);

    [LoggerMessage(3003, LogLevel.Warning, "Stock of {Sku} is low: {Quantity} left")]
    private static partial void StockLow(ILogger logger, string sku, int quantity);

    [LoggerMessage(3004, LogLevel.Error, "Stock ledger for {Sku} is unreadable")]
    private static partial void StockCorrupt(ILogger logger, Exception exception, string sku);

    [LoggerMessage(4001, LogLevel.Information, "{Method} {Path} answered {StatusCode} in {ElapsedMs} ms")]
    private static partial void Request(ILogger logger, string method, string path, int statusCode, int elapsedMs);

    [LoggerMessage(4002, LogLevel.Critical, "Upstream for {Path} is down")]
    private static partial void GatewayDown(ILogger logger, Exception exception, string path);
}
