using System;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Runs a format 2 script by its digest (EVALSHA: the script's text is not sent with every
    /// block); a server that does not know it yet (new, restarted, its scripts flushed) answers
    /// NOSCRIPT, and that one command is sent again with the text (EVAL), which the server then keeps.
    /// </summary>
    internal static class ServerScripts
    {
        public static async Task<RedisResult> EvaluateAsync(IDatabase db, string script, byte[] digest, RedisKey[] keys, RedisValue[] values)
        {
            try
            {
                return await db.ScriptEvaluateAsync(digest, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                return await db.ScriptEvaluateAsync(script, keys, values, CommandFlags.NoScriptCache).ConfigureAwait(false);
            }
        }
    }
}
