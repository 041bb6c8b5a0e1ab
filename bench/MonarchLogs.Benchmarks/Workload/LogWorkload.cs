using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// Realistic entries, the same ones whichever way they are written (through the provider, with
/// LogStore.AppendAsync, or by the original design): six services, a category and a message
/// template each, three arguments, a scope with the service and a request id, a W3C trace.
/// About 350 bytes of values per stored entry. Operations are precomputed, so producing them
/// costs the benchmark nothing but the logging itself.
/// </summary>
public sealed class LogWorkload
{
    public const string ServiceProperty = "Service";
    public const string RequestIdProperty = "RequestId";
    // A multiple of the number of shapes, so that operation i is always of shape i % 6.
    private const int Variants = 4104;

    public static readonly MessageShape[] Shapes =
    {
        new("orders", "Monarch.Orders.OrderProcessor", 1003, "OrderShipped",
            "Order {OrderId} shipped to {Customer} in {ElapsedMs} ms", new[] { "OrderId", "Customer", "ElapsedMs" }, "Order {0} shipped to {1} in {2} ms"),
        new("billing", "Monarch.Billing.InvoiceService", 2002, "InvoiceIssued",
            "Invoice {InvoiceId} issued to {Customer} for {AmountCents} cents", new[] { "InvoiceId", "Customer", "AmountCents" }, "Invoice {0} issued to {1} for {2} cents"),
        new("inventory", "Monarch.Inventory.StockLevels", 3002, "StockReserved",
            "Reserved {Sku} in {Warehouse}, {Quantity} units left", new[] { "Sku", "Warehouse", "Quantity" }, "Reserved {0} in {1}, {2} units left"),
        new("gateway", "Monarch.Gateway.RequestLog", 4001, "RequestServed",
            "{Method} {Path} answered in {ElapsedMs} ms", new[] { "Method", "Path", "ElapsedMs" }, "{0} {1} answered in {2} ms"),
        new("shipping", "Monarch.Shipping.CarrierClient", 5003, "ParcelHandedOver",
            "Parcel {ParcelId} handed to {Carrier} after {Attempts} attempts", new[] { "ParcelId", "Carrier", "Attempts" }, "Parcel {0} handed to {1} after {2} attempts"),
        new("identity", "Monarch.Identity.SignInHandler", 6001, "UserSignedIn",
            "User {UserId} signed in from {Address} in {ElapsedMs} ms", new[] { "UserId", "Address", "ElapsedMs" }, "User {0} signed in from {1} in {2} ms"),
    };

    private static readonly string[] Customers = { "acme-corp", "globex", "initech", "umbrella-eu", "hooli", "stark-industries" };
    private static readonly string[] Warehouses = { "ams-2", "fra-1", "lis-3", "waw-1" };
    private static readonly string[] Carriers = { "dhl-express", "ups", "postnl", "gls" };
    private static readonly string[] Paths = { "/api/orders/", "/api/invoices/", "/api/stock/", "/api/parcels/" };

    private readonly Operation[] _operations = new Operation[Variants];

    public LogWorkload(int seed = 42)
    {
        var random = new Random(seed);
        for (var i = 0; i < Variants; i++) _operations[i] = NewOperation(random, i % Shapes.Length);
    }

    /// <summary>One operation of the shape: its arguments, request id, level and a new W3C trace, drawn from <paramref name="random"/>.</summary>
    public static Operation NewOperation(Random random, int shapeIndex)
    {
        var n = random.Next(10_000, 99_999);
        var (first, second, third) = shapeIndex switch
        {
            0 => ("ORD-" + n, Customers[random.Next(Customers.Length)], random.Next(2, 900)),
            1 => ("INV-2026-" + n, Customers[random.Next(Customers.Length)], random.Next(100, 250_000)),
            2 => ("SKU-" + random.Next(100, 999), Warehouses[random.Next(Warehouses.Length)], random.Next(0, 5_000)),
            3 => (random.Next(4) == 0 ? "POST" : "GET", Paths[random.Next(Paths.Length)] + n, random.Next(1, 400)),
            4 => ("PCL-" + n, Carriers[random.Next(Carriers.Length)], random.Next(1, 4)),
            _ => ("u-" + n, "10.20." + random.Next(256) + "." + random.Next(256), random.Next(20, 700)),
        };
        var requestId = "req-" + random.Next(0x1000000, int.MaxValue).ToString("x8", CultureInfo.InvariantCulture);
        var scope = new KeyValuePair<string, object?>[]
        {
            new(ServiceProperty, Shapes[shapeIndex].Service),
            new(RequestIdProperty, requestId),
        };
        return new Operation(shapeIndex, IngestLevel(random.Next(100)), first, second, third, requestId, scope,
            ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
    }

    public Operation this[int i] => _operations[i % Variants];

    /// <summary>The ingest mix: mostly information, some debug and warnings, a few errors.</summary>
    private static LogLevel IngestLevel(int roll) => roll switch
    {
        < 5 => LogLevel.Trace,
        < 20 => LogLevel.Debug,
        < 85 => LogLevel.Information,
        < 95 => LogLevel.Warning,
        < 99 => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    /// <summary>The query stores' mix: exactly one entry in a hundred is an error.</summary>
    public static MonarchLogLevel StoreLevel(long k)
    {
        if (k % 100 == 0) return MonarchLogLevel.Error;
        return (k * 7919 % 99) switch
        {
            < 5 => MonarchLogLevel.Trace,
            < 20 => MonarchLogLevel.Debug,
            < 84 => MonarchLogLevel.Information,
            < 98 => MonarchLogLevel.Warning,
            _ => MonarchLogLevel.Critical,
        };
    }

    /// <summary>Logs one operation as a service would: inside its scope.</summary>
    public static void Log(ILogger logger, in Operation op, LogLevel level)
    {
        using (logger.BeginScope(op.Scope))
        {
            Shapes[op.ShapeIndex].Log(logger, level, op.First, op.Second, op.Third);
        }
    }

    /// <summary>The entry the provider would store for this operation, for writing without it.</summary>
    public static MonarchLogEntry ToEntry(in Operation op, DateTime timestampUtc, MonarchLogLevel level, string host = "")
    {
        var shape = Shapes[op.ShapeIndex];
        return new MonarchLogEntry
        {
            Timestamp = timestampUtc,
            Level = level,
            Service = shape.Service,
            Category = shape.Category,
            Message = string.Format(CultureInfo.InvariantCulture, shape.Composite, op.First, op.Second, op.Third),
            Template = shape.Template,
            EventId = shape.EventId,
            EventName = shape.EventName,
            TraceId = op.TraceId,
            SpanId = op.SpanId,
            Host = host,
            Properties = op.PropertiesJson,
        };
    }

    public readonly struct Operation
    {
        public Operation(int shapeIndex, LogLevel level, string first, string second, int third, string requestId,
            IReadOnlyList<KeyValuePair<string, object?>> scope, string traceId, string spanId)
        {
            ShapeIndex = shapeIndex;
            Level = level;
            First = first;
            Second = second;
            Third = third;
            Scope = scope;
            TraceId = traceId;
            SpanId = spanId;
            var shape = Shapes[shapeIndex];
            // The provider's props: scope properties first, then the template's arguments.
            PropertiesJson = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                [ServiceProperty] = shape.Service,
                [RequestIdProperty] = requestId,
                [shape.Names[0]] = first,
                [shape.Names[1]] = second,
                [shape.Names[2]] = third,
            });
        }

        public int ShapeIndex { get; }

        public LogLevel Level { get; }

        public string First { get; }

        public string Second { get; }

        public int Third { get; }

        public IReadOnlyList<KeyValuePair<string, object?>> Scope { get; }

        public string TraceId { get; }

        public string SpanId { get; }

        public string PropertiesJson { get; }
    }
}
