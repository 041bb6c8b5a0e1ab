using System;
using System.Net;

namespace MonarchLogs.Web.Security
{
    /// <summary>What counts as "this machine only", for listening addresses, clients and Host headers.</summary>
    internal static class LoopbackAddresses
    {
        /// <summary>
        /// Whether a listening URL such as <c>http://127.0.0.1:8081</c> binds loopback only.
        /// Kestrel binds <c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c> and any host name other
        /// than localhost to every interface, so those are not.
        /// </summary>
        public static bool IsLoopbackUrl(string url)
        {
            var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd < 0) return false;
            var rest = url.Substring(schemeEnd + 3);
            string host;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                var close = rest.IndexOf(']');
                if (close < 0) return false;
                host = rest.Substring(1, close - 1);
            }
            else
            {
                var end = rest.IndexOfAny(new[] { ':', '/' });
                host = end < 0 ? rest : rest.Substring(0, end);
            }

            return IsLoopbackHost(host);
        }

        /// <summary>A host name or address literal that resolves to this machine only.</summary>
        public static bool IsLoopbackHost(string host)
        {
            host = host.Trim().TrimEnd('.');
            if (host.StartsWith("[", StringComparison.Ordinal) && host.EndsWith("]", StringComparison.Ordinal)) host = host.Substring(1, host.Length - 2);
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
            if (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return IPAddress.TryParse(host, out var address) && IsLoopback(address);
        }

        public static bool IsLoopback(IPAddress address) =>
            IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));
    }
}
